import type { Request, Response } from 'express';
import request from 'supertest';
import {
  authHeader,
  IDV_TOPIC_ID_FIELDS,
  IDV_TOPICS,
  idvNotifications,
  isKnownTopic,
  parseIdvNotification,
  rawBody,
  topicRouter,
} from '../../lib';
import { appWith, basic, EXPRESS_VERSIONS } from '../support/express-versions';

const SESSION = '04f3b176-dcb8-428e-9b8e-8c8cd0915158';
const ID = '6fa33fe2-7a9b-4b8e-9a53-6a4c1b1f2a10';

/** A documented payload for each topic, with the id field its topic carries. */
function payloadFor(topic: string): Record<string, string> {
  const idField = (IDV_TOPIC_ID_FIELDS as Record<string, string | undefined>)[topic];
  return { session_id: SESSION, ...(idField && { [idField]: ID }), topic };
}

const parseOnly = (req: Request, res: Response) => {
  res.json({ notification: req.notification, frozen: Object.isFrozen(req.notification) });
};

describe.each(EXPRESS_VERSIONS)('parseIdvNotification() on %s', (_name, express) => {
  const app = appWith(express, [rawBody(), parseIdvNotification(), parseOnly]);
  const post = (body: string) => request(app).post('/hook').type('json').send(body);

  test.each(IDV_TOPICS)('parses a %s notification', async (topic) => {
    const res = await post(JSON.stringify(payloadFor(topic))).expect(200);
    expect(res.body).toEqual({ notification: payloadFor(topic), frozen: true });
  });

  test('the documented example parses as sent', async () => {
    const body =
      '{"session_id":"04f3b176-dcb8-428e-9b8e-8c8cd0915158","topic":"session_completion"}';
    expect((await post(body).expect(200)).body.notification).toEqual(JSON.parse(body));
  });

  test('keeps extra fields and passes an unknown topic through', async () => {
    const body = {
      session_id: SESSION,
      topic: 'brand_new_topic',
      extra: { nested: [1, 'two'] },
      n: 3,
    };
    expect((await post(JSON.stringify(body)).expect(200)).body.notification).toEqual(body);
  });

  test.each([
    ['not JSON', '{"session_id":', 'PAYLOAD_MALFORMED', undefined],
    ['JSON with a trailing comma', '{"a":1,}', 'PAYLOAD_MALFORMED', undefined],
    ['an array', '[1,2]', 'PAYLOAD_INVALID', ''],
    ['null', 'null', 'PAYLOAD_INVALID', ''],
    ['a string', '"session_completion"', 'PAYLOAD_INVALID', ''],
    ['no session_id', '{"topic":"session_completion"}', 'PAYLOAD_INVALID', 'session_id'],
    [
      'a numeric session_id',
      '{"session_id":42,"topic":"session_completion"}',
      'PAYLOAD_INVALID',
      'session_id',
    ],
    [
      'an empty session_id',
      '{"session_id":"","topic":"session_completion"}',
      'PAYLOAD_INVALID',
      'session_id',
    ],
    ['no topic', `{"session_id":"${SESSION}"}`, 'PAYLOAD_INVALID', 'topic'],
    ['a null topic', `{"session_id":"${SESSION}","topic":null}`, 'PAYLOAD_INVALID', 'topic'],
    [
      'task_completion without task_id',
      `{"session_id":"${SESSION}","topic":"task_completion"}`,
      'PAYLOAD_INVALID',
      'task_id',
    ],
    [
      'check_completion with a numeric check_id',
      `{"session_id":"${SESSION}","topic":"check_completion","check_id":7}`,
      'PAYLOAD_INVALID',
      'check_id',
    ],
    [
      'resource_update without resource_id',
      `{"session_id":"${SESSION}","topic":"resource_update"}`,
      'PAYLOAD_INVALID',
      'resource_id',
    ],
  ])('%s is 400 %s', async (_what, body, code, field) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(code);
    if (field) expect(res.body.message).toContain(field);
  });

  test('a PAYLOAD_INVALID error names its field', async () => {
    const seen: unknown[] = [];
    const capture = express();
    capture.post('/hook', rawBody(), parseIdvNotification(), parseOnly);
    capture.use((err: { field?: string }, _req: Request, res: Response, _next: unknown) => {
      seen.push(err.field);
      res.status(400).end();
    });
    await request(capture)
      .post('/hook')
      .type('json')
      .send(`{"session_id":"${SESSION}","topic":"task_completion"}`);
    expect(seen).toEqual(['task_id']);
  });

  test('a leading byte order mark is not part of the JSON', async () => {
    const body = '\ufeff' + JSON.stringify(payloadFor('session_completion'));
    expect((await post(body).expect(200)).body.notification.topic).toBe('session_completion');
  });

  test('__proto__ and constructor keys pollute nothing', async () => {
    const body = `{"session_id":"${SESSION}","topic":"x","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}`;
    const inspect = express();
    inspect.post('/hook', rawBody(), parseIdvNotification(), (req, res) => {
      const n = req.notification as unknown as Record<string, unknown>;
      res.json({
        ownProto: Object.hasOwn(n, '__proto__'),
        protoIsObject: Object.getPrototypeOf(n) === Object.prototype,
        polluted: ({} as Record<string, unknown>).polluted ?? null,
        nPolluted: n.polluted ?? null,
      });
    });
    const res = await request(inspect).post('/hook').type('json').send(body).expect(200);
    expect(res.body).toEqual({
      ownProto: true,
      protoIsObject: true,
      polluted: null,
      nPolluted: null,
    });
  });

  test('without rawBody() first: 500 RAW_BODY_UNAVAILABLE', async () => {
    const broken = appWith(express, [parseIdvNotification(), parseOnly]);
    const res = await request(broken).post('/hook').type('json').send('{}');
    expect(res.status).toBe(500);
    expect(res.body.code).toBe('RAW_BODY_UNAVAILABLE');
  });
});

describe.each(EXPRESS_VERSIONS)('topicRouter() on %s', (_name, express) => {
  const chain = (router: ReturnType<typeof topicRouter>) =>
    appWith(express, [rawBody(), parseIdvNotification(), router]);
  const post = (app: Parameters<typeof request>[0], payload: object) =>
    request(app).post('/hook').type('json').send(JSON.stringify(payload));

  test('routes every documented topic to its handler with the narrowed notification', async () => {
    const seen: string[] = [];
    const router = topicRouter()
      .on('resource_update', (req) => void seen.push(`resource ${req.notification.resource_id}`))
      .on('task_completion', (req) => void seen.push(`task ${req.notification.task_id}`))
      .on('check_completion', (req) => void seen.push(`check ${req.notification.check_id}`))
      .on(
        [
          'session_completion',
          'client_session_token_deleted',
          'new_pdf_supplied',
          'instructions_email_requested',
          'thank_you_email_requested',
          'first_branch_visit',
        ],
        (req) => void seen.push(req.notification.topic),
      );
    const app = chain(router);
    for (const topic of IDV_TOPICS) {
      const res = await post(app, payloadFor(topic));
      expect(res.status).toBe(200);
    }
    expect(seen).toEqual([
      `resource ${ID}`,
      `task ${ID}`,
      `check ${ID}`,
      'session_completion',
      'client_session_token_deleted',
      'new_pdf_supplied',
      'instructions_email_requested',
      'thank_you_email_requested',
      'first_branch_visit',
    ]);
  });

  test('answers 200 only after an async handler settles', async () => {
    const order: string[] = [];
    const app = chain(
      topicRouter().on('session_completion', async () => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        order.push('handler done');
      }),
    );
    const res = await post(app, payloadFor('session_completion'));
    order.push(`response ${res.status}`);
    expect(order).toEqual(['handler done', 'response 200']);
  });

  test('a handler that responds itself keeps its response', async () => {
    const app = chain(
      topicRouter().on(
        'session_completion',
        (_req, res) => void res.status(202).json({ queued: true }),
      ),
    );
    const res = await post(app, payloadFor('session_completion'));
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ queued: true });
  });

  test.each([
    [
      'throws',
      () => {
        throw new Error('database down');
      },
    ],
    [
      'rejects',
      async () => {
        throw new Error('database down');
      },
    ],
  ])(
    'a handler that %s yields a 5xx through next(err), with the default error handler',
    async (_what, handler) => {
      const app = appWith(
        express,
        [rawBody(), parseIdvNotification(), topicRouter().on('session_completion', handler)],
        { codes: false },
      );
      const res = await post(app, payloadFor('session_completion'));
      expect(res.status).toBe(500);
    },
  );

  test.each([
    [
      'throws undefined',
      () => {
        throw undefined;
      },
    ],
    ['rejects with null', () => Promise.reject(null)],
    ["rejects with 'route'", () => Promise.reject('route')],
  ])(
    'a handler that %s still fails the request instead of falling through',
    async (_what, handler) => {
      const app = express();
      app.post(
        '/hook',
        rawBody(),
        parseIdvNotification(),
        topicRouter().on('session_completion', handler),
      );
      app.post('/hook', (_req, res) => void res.status(200).send('a later route'));
      const res = await post(app, payloadFor('session_completion'));
      expect(res.status).toBe(500);
    },
  );

  test('an unknown topic goes to onUnknown and is acknowledged', async () => {
    const seen: Array<[string, boolean]> = [];
    const app = chain(
      topicRouter()
        .on('session_completion', () => undefined)
        .onUnknown(
          (req) => void seen.push([req.notification.topic, isKnownTopic(req.notification)]),
        ),
    );
    await post(app, { session_id: SESSION, topic: 'something_new' }).expect(200);
    await post(app, payloadFor('check_completion')).expect(200);
    expect(seen).toEqual([
      ['something_new', false],
      ['check_completion', true],
    ]);
  });

  test('a topic Yoti adds later can be routed by name', async () => {
    const seen: unknown[] = [];
    const app = chain(
      topicRouter({ extraTopics: ['something_new'] }).on(
        'something_new',
        (req) => void seen.push(req.notification.extra),
      ),
    );
    await post(app, { session_id: SESSION, topic: 'something_new', extra: 1 }).expect(200);
    expect(seen).toEqual([1]);
  });

  test('a notification nobody handles is acknowledged with 200', async () => {
    await post(chain(topicRouter()), payloadFor('task_completion')).expect(200);
  });

  test('without a parser first: a clear 500, not a crash', async () => {
    const app = appWith(express, [rawBody(), topicRouter()]);
    const res = await post(app, payloadFor('task_completion'));
    expect(res.status).toBe(500);
    expect(res.body.message).toMatch(/parseIdvNotification/);
  });
});

describe('topicRouter() setup', () => {
  test('a second handler for a topic is a TypeError', () => {
    const router = topicRouter().on('session_completion', () => undefined);
    expect(() => router.on('session_completion', () => undefined)).toThrow(TypeError);
    expect(() => router.on(['task_completion', 'session_completion'], () => undefined)).toThrow(
      TypeError,
    );
    // Nothing of a refused list is registered.
    expect(() => router.on('task_completion', () => undefined)).not.toThrow();
  });

  test('bad arguments are TypeErrors', () => {
    expect(() => topicRouter().on('session_completion', 'nope' as never)).toThrow(TypeError);
    expect(() => topicRouter().on([], () => undefined)).toThrow(TypeError);
    expect(() => topicRouter().on('' as never, () => undefined)).toThrow(TypeError);
    const router = topicRouter().onUnknown(() => undefined);
    expect(() => router.onUnknown(() => undefined)).toThrow(TypeError);
  });

  test('is a named middleware', () => {
    expect(topicRouter().name).toBe('topicRouter');
  });
});

describe.each(EXPRESS_VERSIONS)('idvNotifications() on %s', (_name, express) => {
  const token = 'user:pass';

  test.each([
    ['app.use', 'use'],
    ['app.post', 'post'],
  ])('mounts with %s and runs the whole chain', async (_what, method) => {
    const seen: string[] = [];
    const app = express();
    const chain = idvNotifications({
      auth: { scheme: 'basic', token },
      handlers: {
        check_completion: (req) => void seen.push(req.notification.check_id),
        session_completion: async (req) => void seen.push(req.notification.session_id),
      },
      onUnknown: (req) => void seen.push(`unknown ${req.notification.topic}`),
    });
    (app as unknown as Record<string, (path: string, ...h: unknown[]) => void>)[method]!(
      '/yoti/idv',
      ...chain,
    );
    const post = (payload: object, auth = basic(token)) =>
      request(app)
        .post('/yoti/idv')
        .set('Authorization', auth)
        .type('json')
        .send(JSON.stringify(payload));
    await post(payloadFor('check_completion')).expect(200);
    await post(payloadFor('session_completion')).expect(200);
    await post(payloadFor('task_completion')).expect(200);
    expect((await post(payloadFor('session_completion'), basic('user:wrong'))).status).toBe(401);
    expect(seen).toEqual([ID, SESSION, 'unknown task_completion']);
  });

  test('checks the header before reading the body', async () => {
    const app = express();
    app.post(
      '/yoti/idv',
      ...idvNotifications({ auth: { scheme: 'bearer', token: 't' }, limit: 10, handlers: {} }),
    );
    const res = await request(app)
      .post('/yoti/idv')
      .type('json')
      .send(JSON.stringify(payloadFor('session_completion')));
    expect(res.status).toBe(401);
  });

  test('with a token function, authenticates after parsing so it can use the session id', async () => {
    const app = express();
    app.post(
      '/yoti/idv',
      ...idvNotifications({
        auth: { scheme: 'bearer', token: (req) => `token-for-${req.notification?.session_id}` },
        handlers: { session_completion: () => undefined },
      }),
    );
    await request(app)
      .post('/yoti/idv')
      .set('Authorization', `Bearer token-for-${SESSION}`)
      .type('json')
      .send(JSON.stringify(payloadFor('session_completion')))
      .expect(200);
  });

  test('a body over the limit is 413', async () => {
    const app = express();
    app.post(
      '/yoti/idv',
      ...idvNotifications({ auth: { scheme: 'bearer', token: 't' }, limit: 64, handlers: {} }),
    );
    const res = await request(app)
      .post('/yoti/idv')
      .set('Authorization', 'Bearer t')
      .type('json')
      .send(JSON.stringify({ ...payloadFor('session_completion'), pad: 'x'.repeat(100) }));
    expect(res.status).toBe(413);
  });
});

describe('idvNotifications() setup', () => {
  test('bad handlers are TypeErrors', () => {
    const auth = { scheme: 'bearer' as const, token: 't' };
    expect(() => idvNotifications({ auth } as never)).toThrow(TypeError);
    expect(() =>
      idvNotifications({ auth, handlers: { session_completion: 'x' as never } }),
    ).toThrow(TypeError);
    expect(() => idvNotifications(undefined as never)).toThrow(TypeError);
  });

  test('authHeader() composes by hand in the same order', () => {
    expect(authHeader({ scheme: 'bearer', token: 't' }).name).toBe('authHeaderMiddleware');
  });
});
