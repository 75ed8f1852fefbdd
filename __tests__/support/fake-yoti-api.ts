// A local stand-in for Yoti's IDV API, on 127.0.0.1, that the official SDK's IDVClient talks
// to. Each GET of a session takes the next scripted answer; the bodies follow the JSON that
// the SDK's GetSessionResult and check responses parse (session_id, state, checks[] with
// type, id, state, report.recommendation.{value, reason}, resources_used, generated_media).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Answer only after this many ms (for the timeout test). */
  delayMs?: number;
}

export interface FakeYotiApi {
  /** The base URL to pass as `apiUrl`. */
  readonly apiUrl: string;
  /** Paths of the requests received, in order. */
  readonly requests: string[];
  /** Queues the answers to the next session requests; the last one repeats. */
  script(...answers: ScriptedAnswer[]): void;
  close(): Promise<void>;
}

export async function startFakeYotiApi(): Promise<FakeYotiApi> {
  let answers: ScriptedAnswer[] = [];
  const requests: string[] = [];
  // Delayed answers not sent yet: close() sends them at once, so no request is cut off.
  const late = new Set<() => void>();
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    const answer = answers.length > 1 ? answers.shift()! : answers[0];
    const send = () => {
      if (answer === undefined) {
        res.writeHead(500).end();
        return;
      }
      const body = answer.body === undefined ? '' : JSON.stringify(answer.body);
      res.writeHead(answer.status, {
        ...(body === '' ? {} : { 'content-type': 'application/json' }),
        ...answer.headers,
      });
      res.end(body);
    };
    if (answer?.delayMs) {
      const now = () => {
        clearTimeout(timer);
        late.delete(now);
        send();
      };
      const timer = setTimeout(now, answer.delayMs);
      late.add(now);
    } else send();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiUrl: `http://127.0.0.1:${port}/idverify/v1`,
    requests,
    script: (...next) => {
      answers = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const now of [...late]) now();
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/** One check as Yoti returns it, done, with a recommendation. */
export function check(
  type: string,
  value: 'APPROVE' | 'REJECT' | 'NOT_AVAILABLE' | undefined,
  state = 'DONE',
  reason?: string,
): Record<string, unknown> {
  return {
    type,
    id: `chk-${type.toLowerCase()}-${value ?? 'none'}`,
    state,
    resources_used: ['res-1'],
    generated_media: [],
    ...(value === undefined
      ? {}
      : { report: { recommendation: { value, ...(reason && { reason }) }, breakdown: [] } }),
    created: '2026-12-02T07:00:00Z',
    last_updated: '2026-12-02T07:01:00Z',
  };
}

/** A session as GET /sessions/{id} returns it. */
export function session(
  sessionId: string,
  state: string,
  checks: Array<Record<string, unknown>>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    client_session_token_ttl: 599,
    session_id: sessionId,
    user_tracking_id: 'user-1',
    state,
    client_session_token: 'cst-1',
    checks,
    resources: { id_documents: [], supplementary_documents: [], liveness_capture: [] },
    ...extra,
  };
}
