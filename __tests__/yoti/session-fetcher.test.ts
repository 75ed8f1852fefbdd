// createSessionFetcher() driving the real yoti SDK (IDVClient) against a fake IDV API on
// 127.0.0.1: verdicts, retries of what is transient, and no session data in any message.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { IDVClient } from 'yoti';
import { createSessionFetcher, defaultVerdict } from '../../lib/yoti';
import type { SessionCheck } from '../../lib/yoti';
import { check, session, startFakeYotiApi } from '../support/fake-yoti-api';
import type { FakeYotiApi } from '../support/fake-yoti-api';
import { idvNotifications, parseIdvNotification, rawBody } from '../../lib';
import { sessionRouter } from '../../examples/snippets/session-fetcher';
import { deliver } from '../../lib/testing';
import express from 'express';
import { rejection } from '../support/errors';
import { Redis } from 'ioredis';
import { BullMQInbox } from '../../lib/bullmq';
import { describeWithRedis, REDIS_URL, uniquePrefix } from '../dedup/redis-env';

const PEM = readFileSync(
  path.join(__dirname, '../fixtures/age-verification/rsa-2048-private.pem'),
  'utf8',
);
const SESSION = '04f3b176-dcb8-428e-9b8e-8c8cd0915158';

let api: FakeYotiApi;
let slept: number[];
beforeAll(async () => {
  api = await startFakeYotiApi();
  // The SDK prints "Error getting data from Yoti API: …" on stdout by itself, also for the
  // late answers of the timeout test, cut off when the fake API closes.
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
// The spy stays until the file's environment goes: the cut-off requests log after this.
afterAll(() => api.close());
beforeEach(() => {
  api.requests.length = 0;
  slept = [];
});

function fetcher(options: Record<string, unknown> = {}) {
  return createSessionFetcher({
    client: new IDVClient('sdk-id', PEM, { apiUrl: api.apiUrl }),
    sleep: async (ms) => {
      slept.push(ms);
    },
    random: () => 0.5,
    ...options,
  });
}

const completed = (...checks: Array<Record<string, unknown>>) => ({
  status: 200,
  body: session(SESSION, 'COMPLETED', checks),
});

describe('verdicts of a COMPLETED session', () => {
  test.each([
    ['APPROVE', 'approved'],
    ['REJECT', 'rejected'],
    ['NOT_AVAILABLE', 'not_available'],
  ] as const)('a %s check: %s, in one request', async (value, verdict) => {
    api.script(
      completed(
        check('ID_DOCUMENT_AUTHENTICITY', 'APPROVE'),
        check('LIVENESS', value, 'DONE', 'r1'),
      ),
    );
    const result = await fetcher()(SESSION);
    expect(result.verdict).toBe(verdict);
    expect(result.sessionId).toBe(SESSION);
    expect(result.state).toBe('COMPLETED');
    expect(result.checks).toEqual([
      expect.objectContaining({
        type: 'ID_DOCUMENT_AUTHENTICITY',
        state: 'DONE',
        recommendation: 'APPROVE',
      }),
      expect.objectContaining({ type: 'LIVENESS', recommendation: value, reason: 'r1' }),
    ]);
    expect(result.result.getSessionId()).toBe(SESSION);
    expect(api.requests).toEqual([expect.stringContaining(`/idverify/v1/sessions/${SESSION}?`)]);
  });

  test("the app's own verdict function replaces the rule", async () => {
    api.script(completed(check('LIVENESS', 'REJECT')));
    const verdict = jest.fn(() => 'approved' as const);
    const result = await fetcher({ verdict })(SESSION);
    expect(result.verdict).toBe('approved');
    expect(verdict).toHaveBeenCalledWith(
      [expect.objectContaining({ recommendation: 'REJECT' })],
      result.result,
    );
  });
});

describe('retries', () => {
  test('503 then 200: two requests, one backoff', async () => {
    api.script(
      { status: 503, body: { code: 'X', message: 'down' } },
      completed(check('LIVENESS', 'APPROVE')),
    );
    expect((await fetcher()(SESSION)).verdict).toBe('approved');
    expect(api.requests).toHaveLength(2);
    expect(slept).toEqual([250]);
  });

  test('429 then 200: waits at least rateLimitedMs', async () => {
    api.script(
      { status: 429, headers: { 'retry-after': '3' } },
      completed(check('LIVENESS', 'APPROVE')),
    );
    expect((await fetcher({ rateLimitedMs: 3_000 })(SESSION)).verdict).toBe('approved');
    expect(api.requests).toHaveLength(2);
    expect(slept).toEqual([3_000]);
  });

  test('ONGOING then COMPLETED: retried like a transient failure', async () => {
    api.script(
      { status: 200, body: session(SESSION, 'ONGOING', [check('LIVENESS', undefined, 'PENDING')]) },
      completed(check('LIVENESS', 'APPROVE')),
    );
    expect((await fetcher()(SESSION)).verdict).toBe('approved');
    expect(api.requests).toHaveLength(2);
  });

  test('still ONGOING after every attempt: pending, never a verdict', async () => {
    api.script({
      status: 200,
      body: session(SESSION, 'ONGOING', [check('LIVENESS', 'REJECT', 'PENDING')]),
    });
    const result = await fetcher({ attempts: 3 })(SESSION);
    expect(result.verdict).toBe('pending');
    expect(api.requests).toHaveLength(3);
  });

  test('with waitForCompletion: false, an ONGOING session is answered at once as pending', async () => {
    api.script({ status: 200, body: session(SESSION, 'ONGOING', []) });
    expect((await fetcher({ waitForCompletion: false })(SESSION)).verdict).toBe('pending');
    expect(api.requests).toHaveLength(1);
  });

  test('always 500: SESSION_FETCH_FAILED, retryable, after exactly attempts requests', async () => {
    api.script({ status: 500, body: { code: 'E', message: 'boom' } });
    const error = await rejection(fetcher({ attempts: 4 })(SESSION));
    expect(error.code).toBe('SESSION_FETCH_FAILED');
    expect(error.status).toBe(503);
    expect(error).toMatchObject({ retryable: true, attempts: 4, responseStatus: 500 });
    expect(api.requests).toHaveLength(4);
    expect(slept).toEqual([250, 500, 1000]);
  });

  test('404: SESSION_NOT_FOUND at once, not retried', async () => {
    api.script({ status: 404, body: { code: 'NOT_FOUND', message: 'gone' } });
    const error = await rejection(fetcher()(SESSION));
    expect(error.code).toBe('SESSION_NOT_FOUND');
    expect(error).toMatchObject({ retryable: false, attempts: 1, responseStatus: 404 });
    expect(api.requests).toHaveLength(1);
  });

  test('another 4xx: SESSION_FETCH_REJECTED, not retried', async () => {
    api.script({ status: 401, body: { code: 'UNAUTHORIZED', message: 'bad sdk id' } });
    const error = await rejection(fetcher()(SESSION));
    expect(error.code).toBe('SESSION_FETCH_REJECTED');
    expect(api.requests).toHaveLength(1);
  });

  test('a response slower than timeoutMs is a transient failure', async () => {
    api.script({ ...completed(check('LIVENESS', 'APPROVE')), delayMs: 400 });
    const error = await rejection(fetcher({ attempts: 2, timeoutMs: 50 })(SESSION));
    expect(error.code).toBe('SESSION_FETCH_FAILED');
    expect(api.requests).toHaveLength(2);
  });

  test('a network error (nothing listening) is retried, then SESSION_FETCH_FAILED', async () => {
    const closed = await startFakeYotiApi();
    await closed.close();
    const fetch = createSessionFetcher({
      client: new IDVClient('sdk-id', PEM, { apiUrl: closed.apiUrl }),
      attempts: 3,
      sleep: async (ms) => {
        slept.push(ms);
      },
    });
    const error = await rejection(fetch(SESSION));
    expect(error.code).toBe('SESSION_FETCH_FAILED');
    expect(slept).toHaveLength(2);
  });
});

test('nothing from the session appears in an error message or a log line', async () => {
  const marker = 'PII-MARKER-Zoë-Smith';
  api.script({ status: 500, body: { code: marker, message: marker } });
  const error = await rejection(fetcher({ attempts: 2 })(SESSION));
  expect(error.message).not.toContain(marker);
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  const errorLog = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  api.script(completed(check('LIVENESS', 'APPROVE')));
  await fetcher()(SESSION);
  for (const spy of [warn, errorLog]) {
    expect(JSON.stringify(spy.mock.calls)).not.toContain(marker);
    spy.mockRestore();
  }
});

describe('setup mistakes', () => {
  const client: unknown = { getSession: () => Promise.reject(new Error('unused')) };
  test.each<[unknown, RegExp]>([
    [{}, /client must be an IDVClient/],
    [{ client: Promise.resolve({}) }, /did you forget await\?/],
    [{ client, attempts: 0 }, /attempts must be a positive integer/],
    [{ client, timeoutMs: -1 }, /timeoutMs/],
  ])('%p → TypeError', (options, message) => {
    expect(() => createSessionFetcher(options as never)).toThrow(TypeError);
    expect(() => createSessionFetcher(options as never)).toThrow(message);
  });

  test.each(['', '../sessions', 'a/b', 'x'.repeat(129), 'id?sdkId=other'])(
    'session id %p is a TypeError, and nothing is requested',
    async (id) => {
      await expect(fetcher()(id)).rejects.toThrow(TypeError);
      expect(api.requests).toHaveLength(0);
    },
  );
});

describe('defaultVerdict', () => {
  const c = (state: string, recommendation?: string): SessionCheck => ({
    id: 'c',
    type: 'LIVENESS',
    state,
    recommendation,
    reason: undefined,
  });
  test.each([
    ['COMPLETED', [c('DONE', 'APPROVE')], 'approved'],
    ['COMPLETED', [], 'approved'],
    ['COMPLETED', [c('DONE', 'APPROVE'), c('DONE', 'REJECT')], 'rejected'],
    ['COMPLETED', [c('DONE', 'NOT_AVAILABLE'), c('DONE', 'REJECT')], 'rejected'],
    ['COMPLETED', [c('DONE', 'NOT_AVAILABLE'), c('DONE', 'APPROVE')], 'not_available'],
    ['COMPLETED', [c('PENDING'), c('DONE', 'REJECT')], 'pending'],
    ['ONGOING', [c('DONE', 'APPROVE')], 'pending'],
    ['EXPIRED', [c('DONE', 'APPROVE')], 'pending'],
  ] as const)('%s with %j → %s', (state, checks, verdict) => {
    expect(defaultVerdict(state, checks)).toBe(verdict);
  });
});

test('end to end: an authenticated session_completion, inline, fetches the session and records its verdict', async () => {
  api.script(completed(check('ID_DOCUMENT_AUTHENTICITY', 'APPROVE'), check('LIVENESS', 'REJECT')));
  const fetchSession = fetcher();
  const verdicts: Record<string, string> = {};
  const app = express();
  app.use(
    '/yoti/idv',
    idvNotifications({
      auth: { scheme: 'bearer', token: 'per-app-token' },
      handlers: {
        session_completion: async (req) => {
          verdicts[req.notification.session_id] = (
            await fetchSession(req.notification.session_id)
          ).verdict;
        },
      },
    }),
  );
  await deliver(
    app,
    '/yoti/idv',
    { session_id: SESSION, topic: 'session_completion' },
    { auth: { scheme: 'bearer', token: 'per-app-token' } },
  ).expect(200);
  expect(verdicts).toEqual({ [SESSION]: 'rejected' });
  expect(api.requests).toHaveLength(1);
});

describeWithRedis('end to end through the inbox', () => {
  test('a session_completion stored by the receiver: a worker fetches the session, a 503 first, and records its verdict', async () => {
    api.script(
      { status: 503, body: {} },
      completed(check('ID_DOCUMENT_AUTHENTICITY', 'APPROVE'), check('LIVENESS', 'APPROVE')),
    );
    const connection = new Redis(REDIS_URL!, { maxRetriesPerRequest: null });
    const inbox = new BullMQInbox({
      connection,
      prefix: uniquePrefix('yoti-e2e').replace(/:/g, '-'),
      backoff: { delayMs: 5, maxDelayMs: 20 },
    });
    const fetchSession = fetcher({ attempts: 1 });
    const verdicts: Array<{ session: string; verdict: string; attempt: number }> = [];
    const failures: Array<{ attempt: number; willRetry: boolean; code: unknown }> = [];
    let recorded!: () => void;
    const done = new Promise<void>((resolve) => (recorded = resolve));
    const worker = inbox.work(
      {
        idv: {
          session_completion: async (notification, job) => {
            const { verdict } = await fetchSession(notification.session_id);
            verdicts.push({ session: notification.session_id, verdict, attempt: job.attempt });
            recorded();
          },
        },
      },
      {
        onFailed: ({ attempt, willRetry, error }) =>
          failures.push({ attempt, willRetry, code: (error as { code?: unknown }).code }),
      },
    );
    try {
      const app = express();
      app.use(
        '/yoti/idv',
        idvNotifications({ auth: { scheme: 'basic', token: 'yoti:secret' }, inbox }),
      );
      await deliver(
        app,
        '/yoti/idv',
        { session_id: SESSION, topic: 'session_completion' },
        { auth: { scheme: 'basic', token: 'yoti:secret' } },
      ).expect(200);
      await done;
      // The first run met the 503 (SESSION_FETCH_FAILED, retryable): the inbox ran it again.
      expect(failures).toEqual([{ attempt: 1, willRetry: true, code: 'SESSION_FETCH_FAILED' }]);
      expect(verdicts).toEqual([{ session: SESSION, verdict: 'approved', attempt: 2 }]);
      expect(api.requests).toHaveLength(2);
    } finally {
      await worker.close();
      await inbox.close();
      connection.disconnect();
    }
  });
});

describe("the README's session fetcher snippet", () => {
  const root = path.join(__dirname, '..', '..');
  test('is examples/snippets/session-fetcher.ts, verbatim', () => {
    const code = readFileSync(path.join(root, 'examples/snippets/session-fetcher.ts'), 'utf8');
    expect(readFileSync(path.join(root, 'README.md'), 'utf8')).toContain(
      '```ts\n' + code.trimEnd() + '\n```',
    );
  });

  test('runs: a session_completion records the verdict', async () => {
    api.script(completed(check('LIVENESS', 'APPROVE')));
    const record = jest.fn();
    const app = express();
    app.post(
      '/yoti/idv',
      rawBody(),
      parseIdvNotification(),
      sessionRouter(new IDVClient('sdk-id', PEM, { apiUrl: api.apiUrl }), record),
    );
    await deliver(app, '/yoti/idv', { session_id: SESSION, topic: 'session_completion' }).expect(
      200,
    );
    expect(record).toHaveBeenCalledWith(SESSION, 'approved');
  });
});
