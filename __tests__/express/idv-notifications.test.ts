// idvNotifications(): the IDV preset (authHeader + rawBody + parser + router).
import request from 'supertest';
import { authHeader, idvNotifications } from '../../lib';
import { basic, EXPRESS_VERSIONS } from '../support/express-versions';
import { ID, payloadFor, SESSION } from '../support/idv-payloads';

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
