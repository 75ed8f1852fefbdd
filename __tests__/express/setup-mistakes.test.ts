// Everyday mistakes: topic and state names in another case or misspelt, a preset reached by
// another method or mounted without a path, and refusals answered and logged concisely.
import type { ErrorRequestHandler } from 'express';
import request from 'supertest';
import {
  ageVerificationNotifications,
  idvNotificationConfig,
  idvNotifications,
  notificationErrorHandler,
  parseIdvNotification,
  rawBody,
  topicRouter,
} from '../../lib';
import type { RejectionRecord } from '../../lib';
import { basic, EXPRESS_VERSIONS } from '../support/express-versions';
import { docsPayload, publicPem, signedBody } from '../support/sign-age-verification';

const auth = { scheme: 'basic' as const, token: 'yoti:secret' };
const SESSION = '04f3b176-dcb8-428e-9b8e-8c8cd0915158';
const idv = (topic: string) => JSON.stringify({ session_id: SESSION, topic });

describe('setup: unknown topic and state names', () => {
  test('topicRouter().on with a misspelt topic: TypeError naming the closest one', () => {
    expect(() => topicRouter().on('sesion_completion' as never, () => undefined)).toThrow(
      /unknown topic "sesion_completion"; did you mean "session_completion"\?.*extraTopics/,
    );
  });

  test('preset handler keys are checked the same way, in plain JS too', () => {
    expect(() =>
      idvNotifications({ auth, handlers: { SESION_COMPLETION: () => undefined } as never }),
    ).toThrow(/did you mean "session_completion"\?.*idvNotifications\(\{ extraTopics/);
    expect(() =>
      ageVerificationNotifications({ handlers: { COMPLETED: () => undefined } as never }),
    ).toThrow(/unknown state "COMPLETED"; did you mean "COMPLETE"\?/);
    expect(() =>
      idvNotifications({
        auth,
        handlers: { session_completion: () => undefined, SESSION_COMPLETION: () => undefined },
      }),
    ).toThrow(/already has a handler/);
  });

  test('the chain says what it handles, for the session side', () => {
    const chain = idvNotifications({
      auth,
      handlers: { SESSION_COMPLETION: () => undefined, check_completion: () => undefined },
    });
    expect(chain.topics).toEqual(['session_completion', 'check_completion']);
    expect(chain.handles('CHECK_COMPLETION')).toBe(true);
    expect(chain.handles('task_completion')).toBe(false);
  });
});

describe.each(EXPRESS_VERSIONS)('on %s', (_name, express) => {
  test('SESSION_COMPLETION handlers receive session_completion notifications, and back', async () => {
    const seen: string[] = [];
    const app = express();
    app.use(
      '/idv',
      idvNotifications({
        auth,
        handlers: { SESSION_COMPLETION: (req) => void seen.push(req.notification.topic) },
      }),
    );
    app.post(
      '/by-hand',
      rawBody(),
      parseIdvNotification(),
      topicRouter().on('session_completion', (req) => void seen.push(req.notification.topic)),
    );
    const post = (path: string, body: string) =>
      request(app).post(path).set('Authorization', basic(auth.token)).type('json').send(body);
    await post('/idv', idv('session_completion')).expect(200);
    await post('/by-hand', idv('SESSION_COMPLETION')).expect(200);
    expect(seen).toEqual(['session_completion', 'SESSION_COMPLETION']);
  });

  test('an unknown topic arriving is still 200 and goes to onUnknown', async () => {
    const unknown: string[] = [];
    const app = express();
    app.use(
      '/idv',
      idvNotifications({
        auth,
        handlers: { session_completion: () => undefined },
        onUnknown: (req) => void unknown.push(req.notification.topic),
      }),
    );
    await request(app)
      .post('/idv')
      .set('Authorization', basic(auth.token))
      .type('json')
      .send(idv('brand_new_topic'))
      .expect(200);
    expect(unknown).toEqual(['brand_new_topic']);
  });

  test('a state in lower case reaches its handler', async () => {
    const seen: string[] = [];
    const app = express();
    app.use(
      '/age',
      ageVerificationNotifications({
        publicKey: publicPem('rsa-3072'),
        handlers: { complete: (req) => void seen.push(req.notification.state) },
      }),
    );
    await request(app)
      .post('/age')
      .type('json')
      .send(signedBody(docsPayload({ state: 'COMPLETE' })))
      .expect(200);
    expect(seen).toEqual(['COMPLETE']);
  });

  test('a preset answers POST only: other methods pass on (the app says 404)', async () => {
    const app = express();
    app.use('/idv', idvNotifications({ auth, handlers: {} }), notificationErrorHandler());
    for (const method of ['get', 'put', 'delete'] as const) {
      const res = await request(app)[method]('/idv').set('Authorization', basic(auth.token));
      expect(res.status).toBe(404);
    }
    // A path below the mount is not the endpoint either.
    await request(app)
      .post('/idv/other')
      .set('Authorization', basic(auth.token))
      .type('json')
      .send(idv('session_completion'))
      .expect(404);
  });

  test("a preset mounted without a path leaves the app's other routes alone", async () => {
    const app = express();
    app.use(idvNotifications({ auth, handlers: {} }));
    app.use(ageVerificationNotifications({ handlers: {} }));
    app.post('/api/orders', (_req, res) => void res.status(201).json({ ok: true }));
    app.get('/health', (_req, res) => void res.send('ok'));
    await request(app).post('/api/orders').type('json').send('{}').expect(201);
    await request(app).get('/health').expect(200, 'ok');
  });

  test('notificationErrorHandler(): status, headers, { code, message } and one log line', async () => {
    const logged: RejectionRecord[] = [];
    const app = express();
    app.use(
      '/idv',
      idvNotifications({ auth, handlers: {} }),
      notificationErrorHandler({ log: (r) => logged.push(r) }),
    );
    app.get('/boom', () => {
      throw new Error('not a notification error');
    });
    app.use(notificationErrorHandler({ log: (r) => logged.push(r) }));
    const appHandler: ErrorRequestHandler = (_err, _req, res, _next) =>
      void res.status(500).send('app handler');
    app.use(appHandler);
    const res = await request(app)
      .post('/idv?x=1')
      .set('Authorization', basic('yoti:wrong'))
      .type('json')
      .send(idv('session_completion'));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Basic /);
    expect(res.body).toEqual({ code: 'AUTH_INVALID', message: expect.any(String) });
    expect(JSON.stringify(res.body)).not.toMatch(/wrong|secret|at /);
    expect(logged).toEqual([{ code: 'AUTH_INVALID', status: 401, method: 'POST', path: '/idv' }]);
    await request(app).get('/boom').expect(500, 'app handler');
    expect(logged).toHaveLength(1);
  });

  test('notificationErrorHandler() logs one line to console.warn by default', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const app = express();
      app.use('/idv', idvNotifications({ auth, handlers: {} }), notificationErrorHandler());
      await request(app).post('/idv').type('json').send(idv('session_completion')).expect(401);
      expect(warn.mock.calls).toEqual([['yoti notification refused: 401 AUTH_MISSING POST /idv']]);
    } finally {
      warn.mockRestore();
    }
  });
});

test('notificationErrorHandler() checks its log option', () => {
  expect(() => notificationErrorHandler({ log: 'console' as never })).toThrow(TypeError);
});

describe('one topic list for the session and the receiver', () => {
  const endpoint = 'https://app.example/yoti/idv';

  test('the session subscribes to what the preset handles', () => {
    const chain = idvNotifications({
      auth,
      handlers: { SESSION_COMPLETION: () => undefined, check_completion: () => undefined },
    });
    expect(idvNotificationConfig({ endpoint, auth, receiver: chain })).toEqual({
      auth_token: 'yoti:secret',
      auth_type: 'BASIC',
      endpoint,
      topics: ['SESSION_COMPLETION', 'CHECK_COMPLETION'],
    });
    const router = topicRouter().on('task_completion', () => undefined);
    expect(idvNotificationConfig({ endpoint, topics: router.topics }).topics).toEqual([
      'TASK_COMPLETION',
    ]);
  });

  test('a subscribed topic nobody handles is a TypeError; onUnknown handles them all', () => {
    const chain = idvNotifications({ auth, handlers: { session_completion: () => undefined } });
    expect(() =>
      idvNotificationConfig({ endpoint, receiver: chain, topics: ['CHECK_COMPLETION'] }),
    ).toThrow(/"CHECK_COMPLETION" is subscribed but the receiver has no handler/);
    const withFallback = topicRouter()
      .on('session_completion', () => undefined)
      .onUnknown(() => undefined);
    expect(
      idvNotificationConfig({ endpoint, receiver: withFallback, topics: ['check_completion'] })
        .topics,
    ).toEqual(['CHECK_COMPLETION']);
  });
});
