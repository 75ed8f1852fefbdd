import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import express from 'express';
import type { ErrorRequestHandler, Express } from 'express';

// Shared by the property-based hostile input tests: one seed for every property of a run,
// one long-lived server per file reached over keep-alive, and the documented error codes.

/** The run's seed: `FC_SEED` to replay a run, else a fresh one (printed by {@link announceSeed}). */
export const SEED =
  process.env.FC_SEED === undefined
    ? Date.now() ^ (Math.random() * 2 ** 31)
    : Number(process.env.FC_SEED);
fc.configureGlobal({ seed: SEED, endOnFailure: true });
// Properties run thousands of requests; a hang is caught per request (5 s), not per test.
jest.setTimeout(60_000);

export function announceSeed(file: string): void {
  console.log(`${file}: fast-check seed ${SEED} (replay with FC_SEED=${SEED})`);
}

/** Every 4xx a hostile request may get, with the codes documented for it (lib/core/errors.ts). */
export const DOCUMENTED: Readonly<Record<number, readonly string[]>> = {
  400: ['BODY_UNREADABLE', 'PAYLOAD_MALFORMED', 'PAYLOAD_INVALID'],
  401: [
    'AUTH_MISSING',
    'AUTH_INVALID',
    'SIGNATURE_MISSING',
    'SIGNATURE_INVALID',
    'NOTIFICATION_EXPIRED',
  ],
  413: ['BODY_TOO_LARGE'],
  415: ['UNSUPPORTED_MEDIA_TYPE'],
};

/** Answers `{ code }` with the error's status, so that a test can read the code. */
export const codeErrorHandler: ErrorRequestHandler = (err, _req, res, _next) => {
  res
    .status(err.status ?? 500)
    .set(err.headers ?? {})
    .json({ code: err.code ?? 'UNEXPECTED', name: err.name, message: err.message });
};

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The `code` of a JSON error body, if any. */
  code?: string;
}

export interface Harness {
  app: Express;
  post(path: string, headers: Record<string, string>, body: Uint8Array | string): Promise<Reply>;
  close(): Promise<void>;
}

/** Serves a fresh Express 5 app on 127.0.0.1; routes are added by `setup` before listening. */
export async function startHarness(setup: (app: Express) => void): Promise<Harness> {
  const app = express();
  setup(app);
  app.use(codeErrorHandler);
  const server = http.createServer({ keepAliveTimeout: 60_000 }, app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return {
    app,
    post(path, headers, body) {
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
      return new Promise<Reply>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            path,
            method: 'POST',
            agent,
            headers: { 'content-length': String(bytes.length), ...headers },
          },
          (res) => {
            const parts: Buffer[] = [];
            res.on('data', (part: Buffer) => parts.push(part));
            res.on('end', () => {
              const text = Buffer.concat(parts).toString('utf8');
              let code: string | undefined;
              try {
                code = (JSON.parse(text) as { code?: string }).code;
              } catch {
                code = undefined;
              }
              resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, code });
            });
            res.on('error', reject);
          },
        );
        // Never a hang: a request with no answer within 5 s fails the property.
        req.setTimeout(5_000, () => req.destroy(new Error(`no answer within 5 s on ${path}`)));
        req.on('error', reject);
        req.end(bytes);
      });
    },
    async close() {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Collects unhandled rejections for the life of a test file. */
export function watchUnhandledRejections(): unknown[] {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  beforeAll(() => process.on('unhandledRejection', listener));
  afterAll(() => {
    process.off('unhandledRejection', listener);
    expect(seen).toEqual([]);
  });
  return seen;
}

/** What the oracle expects of one request. */
export type Expected = { status: 200 } | { status: number; code: string };

/**
 * The invariants of every hostile request: the handler ran iff the answer is 200; a
 * refusal is a documented 4xx with a documented code (never a 5xx); and when the oracle
 * knows the answer, it is that one.
 */
export function checkReply(reply: Reply, handled: number, expected?: Expected): void {
  if (reply.status === 200) {
    if (handled !== 1) throw new Error(`200 but the handler ran ${handled} times`);
  } else {
    if (handled !== 0) throw new Error(`${reply.status} ${reply.code} but the handler ran`);
    const codes = DOCUMENTED[reply.status];
    if (codes === undefined || !codes.includes(reply.code ?? '')) {
      throw new Error(`undocumented answer ${reply.status} ${reply.body}`);
    }
    if (
      reply.status === 401 &&
      reply.code?.startsWith('AUTH_') &&
      !reply.headers['www-authenticate']
    ) {
      throw new Error('401 without WWW-Authenticate');
    }
  }
  if (expected !== undefined) {
    const got = reply.status === 200 ? '200' : `${reply.status} ${reply.code}`;
    const want =
      expected.status === 200
        ? '200'
        : `${expected.status} ${'code' in expected ? expected.code : ''}`;
    if (got !== want) throw new Error(`expected ${want}, got ${got} (${reply.body})`);
  }
}

/** Characters Node lets a client put in a header value: tab, printable ASCII, Latin-1. */
export const headerChar = fc
  .oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
    { weight: 1, arbitrary: fc.constant(0x09) },
    { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
  )
  .map((code) => String.fromCharCode(code));

/** An arbitrary header value, as a client may send one. */
export const headerValue = (maxLength = 200) => fc.string({ unit: headerChar, maxLength });

/** What the server sees of a header value: Node strips leading and trailing spaces and tabs. */
export const asReceived = (value: string) => value.replace(/^[ \t]+|[ \t]+$/g, '');

/** Depth of nested arrays and objects, without recursion (values may be thousands deep). */
export function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    deepest = Math.max(deepest, depth);
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Independent reading of the bytes as rawBody + JSON would: text, or why not. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
