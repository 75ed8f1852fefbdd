import type { ErrorRequestHandler, Express } from 'express';
import request from 'supertest';
import { rawBody, stateRouter, verifySignature } from '../../lib';
import type { StateRouter } from '../../lib';
import { EXPRESS_VERSIONS } from '../support/express-versions';
import { docsPayload, publicPem, signedBody } from '../support/sign-age-verification';

const pem3072 = publicPem('rsa-3072');
const bodies = new Map<string, string>();
/** A notification in `state`, signed with the fixture key (cached: signing costs ms). */
function notification(state: string): string {
  let body = bodies.get(state);
  if (body === undefined) {
    body = signedBody(docsPayload({ state, session_key: `session-${state}` }));
    bodies.set(state, body);
  }
  return body;
}

describe.each(EXPRESS_VERSIONS)('stateRouter() on %s', (_name, express) => {
  /** An app whose only error handler is Express's default one. */
  function appWith(router: StateRouter<string>, errorHandler?: ErrorRequestHandler): Express {
    const app = express();
    app.post('/hook', rawBody(), verifySignature({ publicKey: pem3072 }), router);
    if (errorHandler) app.use(errorHandler);
    return app;
  }
  const deliver = (app: Express, state: string) =>
    request(app).post('/hook').type('json').send(notification(state));

  test('routes COMPLETE, FAIL and ERROR to their handlers and answers 200', async () => {
    const seen: string[] = [];
    const router = stateRouter()
      .on('COMPLETE', (req) => {
        seen.push(`complete:${req.notification.session_key}`);
      })
      .on('FAIL', (req) => {
        seen.push(`fail:${req.notification.session_key}`);
      })
      .on('ERROR', (req) => {
        seen.push(`error:${req.notification.session_key}`);
      });
    const app = appWith(router);
    for (const state of ['COMPLETE', 'FAIL', 'ERROR']) {
      const res = await deliver(app, state);
      expect(res.status).toBe(200);
    }
    expect(seen).toEqual(['complete:session-COMPLETE', 'fail:session-FAIL', 'error:session-ERROR']);
  });

  test('one handler for a list of states', async () => {
    const seen: string[] = [];
    const app = appWith(
      stateRouter().on(['FAIL', 'ERROR'], (req) => {
        seen.push(req.notification.state);
      }),
    );
    await deliver(app, 'FAIL').expect(200);
    await deliver(app, 'ERROR').expect(200);
    await deliver(app, 'COMPLETE').expect(200);
    expect(seen).toEqual(['FAIL', 'ERROR']);
  });

  test('a state Yoti adds later can have its own handler', async () => {
    const seen: string[] = [];
    const app = appWith(
      stateRouter({ extraStates: ['PENDING_REVIEW'] }).on('PENDING_REVIEW', (req) => {
        seen.push(req.notification.state);
      }),
    );
    await deliver(app, 'PENDING_REVIEW').expect(200);
    expect(seen).toEqual(['PENDING_REVIEW']);
  });

  test('200 only once an async handler has settled', async () => {
    const steps: string[] = [];
    const app = appWith(
      stateRouter().on('COMPLETE', async () => {
        steps.push('start');
        await new Promise((resolve) => setTimeout(resolve, 20));
        steps.push('end');
      }),
    );
    const res = await deliver(app, 'COMPLETE');
    steps.push(`response ${res.status}`);
    expect(steps).toEqual(['start', 'end', 'response 200']);
  });

  test('a handler that throws → next(err) → 500 from the default error handler', async () => {
    const app = appWith(
      stateRouter().on('COMPLETE', () => {
        throw new Error('database down');
      }),
    );
    await deliver(app, 'COMPLETE').expect(500);
  });

  test('a handler that rejects → next(err) → 500 from the default error handler', async () => {
    const app = appWith(
      stateRouter().on('COMPLETE', async () => {
        await Promise.resolve();
        throw new Error('database down');
      }),
    );
    await deliver(app, 'COMPLETE').expect(500);
  });

  test('the thrown or rejected error itself reaches the error handler', async () => {
    const boom = new Error('boom');
    const caught: unknown[] = [];
    const handler: ErrorRequestHandler = (err, _req, res, _next) => {
      caught.push(err);
      res.status(503).end();
    };
    const sync = appWith(
      stateRouter().on('FAIL', () => {
        throw boom;
      }),
      handler,
    );
    const async = appWith(
      stateRouter().on('FAIL', () => Promise.reject(boom)),
      handler,
    );
    await deliver(sync, 'FAIL').expect(503);
    await deliver(async, 'FAIL').expect(503);
    expect(caught).toEqual([boom, boom]);
  });

  test('a handler that responds itself keeps its status', async () => {
    const app = appWith(
      stateRouter()
        .on('COMPLETE', (_req, res) => {
          res.status(202).json({ queued: true });
        })
        .on('FAIL', async (_req, res) => {
          await Promise.resolve();
          res.status(204).end();
        }),
    );
    const res = await deliver(app, 'COMPLETE').expect(202);
    expect(res.body).toEqual({ queued: true });
    await deliver(app, 'FAIL').expect(204);
  });

  test('an unknown state → 200 and onUnknown', async () => {
    const unknown: string[] = [];
    const app = appWith(
      stateRouter()
        .on('COMPLETE', () => undefined)
        .onUnknown((req) => {
          unknown.push(req.notification.state);
        }),
    );
    await deliver(app, 'SOMETHING_NEW').expect(200);
    // A known state nobody registered goes to onUnknown too.
    await deliver(app, 'FAIL').expect(200);
    await deliver(app, 'COMPLETE').expect(200);
    expect(unknown).toEqual(['SOMETHING_NEW', 'FAIL']);
  });

  test('no handler and no onUnknown → 200', async () => {
    const app = appWith(stateRouter());
    await deliver(app, 'SOMETHING_NEW').expect(200);
    await deliver(app, 'COMPLETE').expect(200);
  });

  test('an onUnknown that throws → 500', async () => {
    const app = appWith(
      stateRouter().onUnknown(() => {
        throw new Error('nope');
      }),
    );
    await deliver(app, 'SOMETHING_NEW').expect(500);
  });

  test('mounted without verifySignature() → 500 (a setup mistake), never a silent 200', async () => {
    const app = express();
    app.post(
      '/hook',
      rawBody(),
      stateRouter().onUnknown(() => undefined),
    );
    await request(app).post('/hook').type('json').send('{"state":"COMPLETE"}').expect(500);
  });
});

describe('stateRouter() at setup', () => {
  test('a second handler for the same state → TypeError', () => {
    const router = stateRouter().on('COMPLETE', () => undefined);
    expect(() => router.on('COMPLETE', () => undefined)).toThrow(TypeError);
    expect(() => router.on(['FAIL', 'COMPLETE'], () => undefined)).toThrow(TypeError);
    // The failed list registered nothing: FAIL is still free.
    expect(() => router.on('FAIL', () => undefined)).not.toThrow();
  });

  test('a second onUnknown → TypeError', () => {
    const router = stateRouter().onUnknown(() => undefined);
    expect(() => router.onUnknown(() => undefined)).toThrow(TypeError);
  });

  test.each<[string, unknown, unknown]>([
    ['an empty list', [], () => undefined],
    ['an empty state', '', () => undefined],
    ['a handler that is not a function', 'COMPLETE', 'handler'],
  ])('%s → TypeError', (_what, states, handler) => {
    expect(() => stateRouter().on(states as 'FAIL', handler as never)).toThrow(TypeError);
  });

  test('the router is a named middleware and .on chains', () => {
    const router = stateRouter();
    expect(router.name).toBe('stateRouter');
    expect(router.on('COMPLETE', () => undefined)).toBe(router);
    expect(router.onUnknown(() => undefined)).toBe(router);
  });
});
