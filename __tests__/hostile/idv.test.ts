import fc from 'fast-check';
import type { Request, Response } from 'express';
import {
  createNotificationToken,
  IDV_TOPICS,
  idvNotifications,
  parseIdvNotification,
  rawBody,
  topicRouter,
} from '../../lib';
import {
  announceSeed,
  checkReply,
  headerValue,
  startHarness,
  watchUnhandledRejections,
} from './harness';
import type { Expected, Harness } from './harness';
import {
  fieldValue,
  hasString,
  junkBodies,
  mutateMembers,
  nested,
  PROTOTYPE_NAMES,
  readJson,
  serialise,
} from './bodies';
import type { Members } from './bodies';

// parseIdvNotification() + topicRouter(), and the idvNotifications() presets, against
// hostile bodies and headers. The oracle is the specification of an IDV notification.

const LIMIT = 64 * 1024;
const ID_FIELDS: Readonly<Record<string, string>> = {
  resource_update: 'resource_id',
  task_completion: 'task_id',
  check_completion: 'check_id',
};
const BASIC = 'user:pass';
const JWT_SECRET = 'another-jwt-secret-of-32-bytes-or-more';
const SESSION_TOKENS = new Map([
  ['sess-1', 'per-session-token-1'],
  ['sess-2', 'per-session-token-2'],
]);

let handled = 0;
let seen: { which: string; json: string; frozen: boolean } | undefined;
let harness: Harness;
let jwt = '';
watchUnhandledRejections();

const record = (which: string) => (req: Request) => {
  handled++;
  seen = {
    which,
    json: JSON.stringify(req.notification),
    frozen: Object.isFrozen(req.notification),
  };
};

/** Which handler a topic reaches on the routes below. */
function handlerFor(name: string, route: 'chain' | 'preset'): string {
  // Topics match case-insensitively; 'toString' is opted in by name.
  const topic = name.toLowerCase() === 'tostring' ? 'toString' : name.toLowerCase();
  if (route === 'preset')
    return topic === 'session_completion' || topic === 'resource_update' ? topic : 'unknown';
  if (topic === 'session_completion') return 'session';
  if (topic === 'task_completion' || topic === 'check_completion') return 'task-check';
  if (topic === 'toString') return 'toString';
  return 'unknown';
}

beforeAll(async () => {
  announceSeed('hostile/idv');
  jwt = await createNotificationToken({ secret: JWT_SECRET, expiresIn: '1h' });
  harness = await startHarness((app) => {
    app.post(
      '/idv',
      rawBody(),
      parseIdvNotification(),
      topicRouter({ extraTopics: ['toString'] })
        .on('session_completion', record('session'))
        .on(['task_completion', 'check_completion'], record('task-check'))
        .on('toString', record('toString'))
        .onUnknown(record('unknown')),
    );
    const handlers = {
      session_completion: record('session_completion'),
      resource_update: record('resource_update'),
    };
    app.post(
      '/preset/basic',
      idvNotifications({
        auth: { scheme: 'basic', token: BASIC },
        handlers,
        onUnknown: record('unknown'),
      }),
    );
    app.post(
      '/preset/jwt',
      idvNotifications({
        auth: { scheme: 'bearer', jwt: { secret: JWT_SECRET } },
        handlers,
        onUnknown: record('unknown'),
      }),
    );
    app.post(
      '/preset/session-token',
      idvNotifications({
        auth: {
          scheme: 'bearer',
          token: async (req) =>
            SESSION_TOKENS.get((req.notification as { session_id: string }).session_id),
        },
        handlers,
        onUnknown: record('unknown'),
      }),
    );
    app.post('/modes', rawBody(), parseIdvNotification(), topicRouter().onUnknown(modeHandler));
  });
});
afterAll(() => harness.close());

const topics = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...IDV_TOPICS) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      ...PROTOTYPE_NAMES,
      'a_new_topic',
      'SESSION_COMPLETION',
      ' session_completion',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }) },
);
const ids = fc.oneof(fc.uuid(), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }));

/** A valid notification as members: session_id, topic, its id field, maybe extra fields. */
const validMembers: fc.Arbitrary<Members> = fc
  .tuple(
    topics,
    ids,
    ids,
    fc.array(fc.tuple(fc.string({ maxLength: 10 }), fieldValue), { maxLength: 3 }),
    fc.boolean(),
  )
  .map(([topic, sessionId, id, extra, reverse]) => {
    const members: Array<readonly [string, unknown]> = [
      ['session_id', sessionId],
      ['topic', topic],
    ];
    const field = Object.hasOwn(ID_FIELDS, topic) ? ID_FIELDS[topic] : undefined;
    if (field) members.push([field, id]);
    // Extra fields may not shadow the required ones (that is a mutation, below).
    for (const [k, v] of extra)
      if (!['session_id', 'topic', 'task_id', 'check_id', 'resource_id'].includes(k))
        members.push([k, v]);
    return reverse ? members.reverse() : members;
  });

const idvBodies: fc.Arbitrary<Buffer> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(validMembers, fc.boolean())
      .map(([m, pretty]) => Buffer.from(serialise(m, pretty))),
  },
  {
    weight: 4,
    arbitrary: validMembers
      .chain((m) => mutateMembers(m, ['task_id', 'check_id', 'resource_id']))
      .map((m) => Buffer.from(serialise(m))),
  },
  { weight: 2, arbitrary: junkBodies },
  {
    // Deep nesting inside an otherwise valid notification.
    weight: 1,
    arbitrary: fc
      .integer({ min: 1, max: 25_000 })
      .map((n) =>
        Buffer.from(`{"session_id":"s","topic":"session_completion","extra":${nested(n, '1')}}`),
      ),
  },
  {
    // Huge strings, around the limit.
    weight: 1,
    arbitrary: fc
      .integer({ min: LIMIT - 100, max: LIMIT + 100 })
      .map((n) =>
        Buffer.from(
          `{"session_id":"${'s'.repeat(Math.max(1, n - 50))}","topic":"session_completion"}`,
        ),
      ),
  },
  { weight: 1, arbitrary: validMembers.map((m) => Buffer.from('\ufeff' + serialise(m))) },
);

/** The answer the specification gives for a body on the plain chain. */
function idvOracle(body: Buffer): {
  expected: Expected;
  json?: string;
  topic?: string;
  sessionId?: string;
} {
  const read = readJson(body, LIMIT);
  if ('refused' in read) return { expected: read.refused };
  const payload = read.value;
  const invalid = { expected: { status: 400, code: 'PAYLOAD_INVALID' } };
  if (!hasString(payload, 'session_id') || !hasString(payload, 'topic')) return invalid;
  const topic = payload.topic as string;
  const known = topic.toLowerCase();
  if (Object.hasOwn(ID_FIELDS, known) && !hasString(payload, ID_FIELDS[known]!)) return invalid;
  return {
    expected: { status: 200 },
    json: JSON.stringify(payload),
    topic,
    sessionId: payload.session_id as string,
  };
}

function checkHandled(oracle: ReturnType<typeof idvOracle>, route: 'chain' | 'preset'): void {
  if (oracle.expected.status !== 200) return;
  expect(seen).toEqual({
    which: handlerFor(oracle.topic!, route),
    json: oracle.json,
    frozen: true,
  });
}

test('parseIdvNotification + topicRouter: the handler runs iff the body is a notification', async () => {
  await fc.assert(
    fc.asyncProperty(idvBodies, async (body) => {
      handled = 0;
      seen = undefined;
      const reply = await harness.post('/idv', { 'content-type': 'application/json' }, body);
      const oracle = idvOracle(body);
      checkReply(reply, handled, oracle.expected);
      checkHandled(oracle, 'chain');
    }),
    { numRuns: 2500 },
  );
});

/** Authorization headers for the presets: right, wrong, absent, or anything. */
const presetAuth = fc.constantFrom('right', 'wrong', 'absent', 'arbitrary');

test('idvNotifications() presets: auth decides first (or after parsing, for a per-session token)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('basic', 'jwt', 'session-token'),
      presetAuth,
      headerValue(60),
      fc.oneof(
        idvBodies,
        fc
          .constantFrom('sess-1', 'sess-2')
          .map((s) => Buffer.from(`{"session_id":"${s}","topic":"session_completion"}`)),
      ),
      async (preset, auth, arbitrary, body) => {
        handled = 0;
        seen = undefined;
        const oracle = idvOracle(body);
        const sessionToken =
          oracle.sessionId === undefined ? undefined : SESSION_TOKENS.get(oracle.sessionId);
        const right =
          preset === 'basic'
            ? 'Basic ' + Buffer.from(BASIC).toString('base64')
            : preset === 'jwt'
              ? `Bearer ${jwt}`
              : `Bearer ${sessionToken ?? 'per-session-token-1'}`;
        const wrong =
          preset === 'basic'
            ? 'Basic ' + Buffer.from('user:nope').toString('base64')
            : 'Bearer nope';
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (auth === 'right') headers.authorization = right;
        if (auth === 'wrong') headers.authorization = wrong;
        if (auth === 'arbitrary') headers.authorization = arbitrary;
        const reply = await harness.post(`/preset/${preset}`, headers, body);

        const authExpected: Expected | undefined =
          auth === 'arbitrary'
            ? undefined
            : auth === 'absent'
              ? { status: 401, code: 'AUTH_MISSING' }
              : auth === 'wrong' || (preset === 'session-token' && sessionToken === undefined)
                ? { status: 401, code: 'AUTH_INVALID' }
                : { status: 200 };
        // A fixed token is checked before the body is read; a per-session one after parsing.
        const authFirst = preset !== 'session-token';
        let expected: Expected | undefined;
        if (authFirst) expected = authExpected?.status === 200 ? oracle.expected : authExpected;
        else expected = oracle.expected.status !== 200 ? oracle.expected : authExpected;
        checkReply(reply, handled, expected);
        if (reply.status === 200) checkHandled(oracle, 'preset');
      },
    ),
    { numRuns: 1500 },
  );
});

// A handler's own behaviour decides the answer once the notification is valid: 200 when it
// settles, its own response when it sends one, 500 (so that Yoti redelivers) when it fails.
type Mode = 'sync' | 'async' | 'throw' | 'reject' | 'respond' | 'respond-async';
let modeCalls = 0;
function modeHandler(req: Request, res: Response): unknown {
  modeCalls++;
  const mode = req.headers['x-mode'] as Mode;
  switch (mode) {
    case 'sync':
      return 'ignored';
    case 'async':
      return new Promise((resolve) => setImmediate(resolve));
    case 'throw':
      throw new Error('handler failed');
    case 'reject':
      return Promise.reject(new Error('handler failed'));
    case 'respond':
      res.status(202).end();
      return undefined;
    case 'respond-async':
      return Promise.resolve().then(() => res.status(204).end());
  }
}

test('topicRouter: the handler runs once per valid notification, whatever it does', async () => {
  await fc.assert(
    fc.asyncProperty(
      validMembers,
      fc.constantFrom<Mode>('sync', 'async', 'throw', 'reject', 'respond', 'respond-async'),
      async (members, mode) => {
        modeCalls = 0;
        const reply = await harness.post(
          '/modes',
          { 'content-type': 'application/json', 'x-mode': mode },
          serialise(members),
        );
        expect(modeCalls).toBe(1);
        const status = {
          sync: 200,
          async: 200,
          throw: 500,
          reject: 500,
          respond: 202,
          'respond-async': 204,
        }[mode];
        expect(reply.status).toBe(status);
      },
    ),
    { numRuns: 300 },
  );
});
