// topicRouter(): typed handlers by IDV topic, case-insensitive names, unknown topics.
import request from 'supertest';
import { IDV_TOPICS, isKnownTopic, parseIdvNotification, rawBody, topicRouter } from '../../lib';
import { appWith, EXPRESS_VERSIONS } from '../support/express-versions';
import { ID, payloadFor, SESSION } from '../support/idv-payloads';

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
