import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Request } from 'express';
import request from 'supertest';
import {
  deduplicate,
  MemoryStore,
  parseIdvNotification,
  rawBody,
  stateRouter,
  topicRouter,
  verifySignature,
} from '../../lib';
import type { DeduplicateOptions, DeduplicationStore, SettleFailure } from '../../lib';
import { appWith, EXPRESS_VERSIONS } from '../support/express-versions';
import { docsPayload, publicPem, signedBody } from '../support/sign-age-verification';

/** A promise with its resolve function, to hold a handler mid-flight. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

const idv = (fields: Record<string, string>) =>
  JSON.stringify({ session_id: randomUUID(), ...fields });

describe.each(EXPRESS_VERSIONS)('deduplicate() on %s', (_name, express) => {
  /** An IDV chain with deduplicate() and one handler for every topic. */
  function idvApp(
    handler: (req: Request) => unknown,
    options: Partial<DeduplicateOptions> = {},
  ): { app: ReturnType<typeof appWith>; store: DeduplicationStore } {
    const store = options.store ?? new MemoryStore();
    const app = appWith(express, [
      rawBody(),
      parseIdvNotification(),
      deduplicate({ ...options, store }),
      topicRouter().onUnknown(handler),
    ]);
    return { app, store };
  }

  describe('age verification (key: the notification id)', () => {
    const body = signedBody(docsPayload({ id: randomUUID(), state: 'COMPLETE' }), {
      key: 'rsa-2048',
    });
    const handled: Array<boolean | undefined> = [];
    const deprecated: Array<boolean | undefined> = [];
    const duplicates: Array<{ duplicate: boolean | undefined; key: string }> = [];
    const app = appWith(express, [
      rawBody(),
      verifySignature({ publicKey: publicPem('rsa-2048') }),
      deduplicate({
        store: new MemoryStore(),
        onDuplicate: (req, key) => duplicates.push({ duplicate: req.notificationDuplicate, key }),
      }),
      stateRouter().on('COMPLETE', (req) => {
        handled.push(req.notificationDuplicate);
        deprecated.push(req.duplicate);
      }),
    ]);

    test('a redelivery after success is 200 without the handler; req.notificationDuplicate and onDuplicate say so', async () => {
      await request(app).post('/hook').type('json').send(body).expect(200);
      expect(handled).toEqual([false]);
      // The deprecated name carries the same value.
      expect(deprecated).toEqual([false]);
      expect(duplicates).toEqual([]);
      const again = await request(app).post('/hook').type('json').send(body);
      expect(again.status).toBe(200);
      expect(handled).toEqual([false]);
      const id = (JSON.parse(body) as { id: string }).id;
      expect(duplicates).toEqual([{ duplicate: true, key: `av:${id}` }]);
    });
  });

  test('a duplicate while the first is handled is 409 NOTIFICATION_IN_PROGRESS with Retry-After', async () => {
    const held = gate();
    const entered = gate();
    let calls = 0;
    const { app } = idvApp(async () => {
      calls++;
      entered.open();
      await held.opened;
    });
    const body = idv({ topic: 'session_completion' });
    const first = request(app)
      .post('/hook')
      .type('json')
      .send(body)
      .then((res) => res);
    await entered.opened;
    const second = await request(app).post('/hook').type('json').send(body);
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('NOTIFICATION_IN_PROGRESS');
    expect(second.headers['retry-after']).toBe('5');
    held.open();
    expect((await first).status).toBe(200);
    expect(calls).toBe(1);
    const third = await request(app).post('/hook').type('json').send(body);
    expect(third.status).toBe(200);
    expect(calls).toBe(1);
  });

  test('Retry-After never reaches past the running claim’s lease', async () => {
    const store = new MemoryStore();
    const { app } = idvApp(() => undefined, { store, retryAfterSeconds: 30 });
    const body = idv({ topic: 'session_completion' });
    const session = (JSON.parse(body) as { session_id: string }).session_id;
    await store.claim(`idv:${session}:session_completion`, 'elsewhere', 1_500);
    const res = await request(app).post('/hook').type('json').send(body);
    expect(res.status).toBe(409);
    expect(['1', '2']).toContain(res.headers['retry-after']);
  });

  test('a handler error is a 500, and the redelivery is handled', async () => {
    let calls = 0;
    const { app } = idvApp(() => {
      calls++;
      if (calls === 1) throw new Error('database down');
    });
    const body = idv({ topic: 'task_completion', task_id: randomUUID() });
    const failed = await request(app).post('/hook').type('json').send(body);
    expect(failed.status).toBe(500);
    await request(app).post('/hook').type('json').send(body).expect(200);
    expect(calls).toBe(2);
    await request(app).post('/hook').type('json').send(body).expect(200);
    expect(calls).toBe(2);
  });

  test('a rejected handler releases the claim too', async () => {
    let calls = 0;
    const { app } = idvApp(async () => {
      calls++;
      if (calls === 1) throw new Error('timeout');
    });
    const body = idv({ topic: 'check_completion', check_id: randomUUID() });
    expect((await request(app).post('/hook').type('json').send(body)).status).toBe(500);
    await request(app).post('/hook').type('json').send(body).expect(200);
    expect(calls).toBe(2);
  });

  test('a handler that answers 2xx itself completes; one that answers 4xx releases', async () => {
    const statuses = [422, 202];
    let calls = 0;
    const { app } = idvApp((req) => {
      calls++;
      const res = req.res!;
      res.status(statuses.shift()!).json({ calls });
    });
    const body = idv({ topic: 'session_completion' });
    expect((await request(app).post('/hook').type('json').send(body)).status).toBe(422);
    const accepted = await request(app).post('/hook').type('json').send(body);
    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({ calls: 2 });
    await request(app).post('/hook').type('json').send(body).expect(200);
    expect(calls).toBe(2);
  });

  describe('store unavailable', () => {
    const down: DeduplicationStore = {
      claim: () => Promise.reject(new Error('ECONNREFUSED')),
      complete: () => Promise.reject(new Error('ECONNREFUSED')),
      release: () => Promise.reject(new Error('ECONNREFUSED')),
    };
    const hanging: DeduplicationStore = {
      claim: () => new Promise(() => undefined),
      complete: () => new Promise(() => undefined),
      release: () => new Promise(() => undefined),
    };

    test.each([
      ['failing', down],
      ['hanging', hanging],
    ])('a %s store is 503 STORE_UNAVAILABLE and the handler does not run', async (_what, store) => {
      let calls = 0;
      const { app } = idvApp(() => calls++, { store, storeTimeoutMs: 50 });
      const res = await request(app)
        .post('/hook')
        .type('json')
        .send(idv({ topic: 'session_completion' }));
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('STORE_UNAVAILABLE');
      expect(res.headers['retry-after']).toBe('5');
      expect(calls).toBe(0);
    });

    test('unavailableRetryAfterSeconds sets the 503 Retry-After', async () => {
      const { app } = idvApp(() => undefined, { store: down, unavailableRetryAfterSeconds: 30 });
      const res = await request(app)
        .post('/hook')
        .type('json')
        .send(idv({ topic: 'session_completion' }));
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('STORE_UNAVAILABLE');
      expect(res.headers['retry-after']).toBe('30');
    });

    test("onStoreError: 'process' handles it anyway (at-least-once)", async () => {
      const seen: Array<boolean | undefined> = [];
      const { app } = idvApp((req) => seen.push(req.notificationDuplicate), {
        store: down,
        onStoreError: 'process',
      });
      const body = idv({ topic: 'session_completion' });
      await request(app).post('/hook').type('json').send(body).expect(200);
      await request(app).post('/hook').type('json').send(body).expect(200);
      expect(seen).toEqual([false, false]);
    });
  });

  test('IDV default keys: repeated topics with their ids are duplicates; resource_update is not', async () => {
    const calls: string[] = [];
    const { app } = idvApp((req) => {
      calls.push((req.notification as { topic: string }).topic);
    });
    const session_id = randomUUID();
    const send = (fields: Record<string, string>) =>
      request(app)
        .post('/hook')
        .type('json')
        .send(JSON.stringify({ session_id, ...fields }))
        .expect(200);
    const resource_id = randomUUID();
    const task_id = randomUUID();
    await send({ topic: 'resource_update', resource_id });
    await send({ topic: 'resource_update', resource_id });
    await send({ topic: 'task_completion', task_id });
    await send({ topic: 'task_completion', task_id });
    await send({ topic: 'task_completion', task_id: randomUUID() });
    await send({ topic: 'check_completion', check_id: task_id });
    await send({ topic: 'session_completion' });
    await send({ topic: 'session_completion' });
    await send({ topic: 'client_session_token_deleted' });
    await send({ topic: 'some_future_topic' });
    await send({ topic: 'some_future_topic' });
    expect(calls).toEqual([
      'resource_update',
      'resource_update',
      'task_completion',
      'task_completion',
      'check_completion',
      'session_completion',
      'client_session_token_deleted',
      'some_future_topic',
      'some_future_topic',
    ]);
  });

  test('a custom key function decides what is a duplicate', async () => {
    let calls = 0;
    const { app } = idvApp(() => calls++, {
      // One handling per session and topic, resource updates included.
      key: (n) => ('topic' in n ? `${n.session_id}/${n.topic}` : undefined),
    });
    const session_id = randomUUID();
    for (const resource_id of [randomUUID(), randomUUID()]) {
      await request(app)
        .post('/hook')
        .type('json')
        .send(JSON.stringify({ session_id, topic: 'resource_update', resource_id }))
        .expect(200);
    }
    expect(calls).toBe(1);
  });

  test('a key of undefined lets the notification through untouched', async () => {
    const seen: Array<boolean | undefined> = [];
    const { app } = idvApp((req) => seen.push(req.notificationDuplicate), { key: () => undefined });
    const body = idv({ topic: 'session_completion' });
    await request(app).post('/hook').type('json').send(body).expect(200);
    await request(app).post('/hook').type('json').send(body).expect(200);
    expect(seen).toEqual([undefined, undefined]);
  });

  test('a lease left by a crashed instance ends, and the next delivery is handled', async () => {
    let now = 1_000_000;
    const store = new MemoryStore({ now: () => now });
    let calls = 0;
    const { app } = idvApp(() => calls++, { store, now: () => now });
    const body = idv({ topic: 'session_completion' });
    const session = (JSON.parse(body) as { session_id: string }).session_id;
    await store.claim(`idv:${session}:session_completion`, 'crashed-instance', 40_000);
    expect((await request(app).post('/hook').type('json').send(body)).status).toBe(409);
    now += 39_999;
    expect((await request(app).post('/hook').type('json').send(body)).status).toBe(409);
    expect(calls).toBe(0);
    now += 1;
    await request(app).post('/hook').type('json').send(body).expect(200);
    expect(calls).toBe(1);
  });

  test('a handler that outlives its lease cannot complete the newer claim (lease-lost)', async () => {
    let now = 1_000_000;
    const failures: SettleFailure[] = [];
    const held = gate();
    const entered = gate();
    let calls = 0;
    const { app } = idvApp(
      async () => {
        calls++;
        if (calls === 1) {
          entered.open();
          await held.opened;
        }
      },
      {
        store: new MemoryStore({ now: () => now }),
        now: () => now,
        leaseMs: 60_000,
        onSettleFailure: (failure) => failures.push(failure),
      },
    );
    const body = idv({ topic: 'session_completion' });
    const slow = request(app)
      .post('/hook')
      .type('json')
      .send(body)
      .then((res) => res);
    await entered.opened;
    now += 60_000;
    // The redelivery claims the expired key; the slow first handling then finishes.
    const second = await request(app).post('/hook').type('json').send(body);
    held.open();
    expect((await slow).status).toBe(200);
    expect(failures).toEqual([
      expect.objectContaining({ action: 'complete', reason: 'lease-lost', willRetry: false }),
    ]);
    expect(second.status).toBe(200);
    expect(calls).toBe(2);
    await request(app).post('/hook').type('json').send(body).expect(200);
    expect(calls).toBe(2);
  });

  test('a completion the store failed is retried in the background', async () => {
    // Timers faked (the retry waits 250 ms); the sockets' own callbacks run for real.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      const memory = new MemoryStore();
      let failNext = true;
      const flaky: DeduplicationStore = {
        claim: (...args) => memory.claim(...args),
        release: (...args) => memory.release(...args),
        complete: (...args) => {
          if (!failNext) return memory.complete(...args);
          failNext = false;
          return Promise.reject(new Error('connection reset'));
        },
      };
      const failures: SettleFailure[] = [];
      let calls = 0;
      const { app } = idvApp(() => calls++, {
        store: flaky,
        onSettleFailure: (failure) => failures.push(failure),
      });
      const body = idv({ topic: 'session_completion' });
      await request(app).post('/hook').type('json').send(body).expect(200);
      expect(failures).toEqual([
        expect.objectContaining({ action: 'complete', reason: 'store-error', willRetry: true }),
      ]);
      // Until the retry lands, a duplicate is told to come back later; afterwards, it is done.
      expect((await request(app).post('/hook').type('json').send(body)).status).toBe(409);
      await jest.advanceTimersByTimeAsync(250);
      expect((await request(app).post('/hook').type('json').send(body)).status).toBe(200);
      expect(calls).toBe(1);
    } finally {
      jest.useRealTimers();
    }
  });

  test('a client that disconnects mid-handler does not change the outcome', async () => {
    const held = gate();
    const entered = gate();
    const finished = gate();
    const clientGone = gate();
    const recorded = gate();
    const memory = new MemoryStore();
    const store: DeduplicationStore = {
      claim: (...args) => memory.claim(...args),
      release: (...args) => memory.release(...args),
      complete: async (...args) => {
        const done = await memory.complete(...args);
        recorded.open();
        return done;
      },
    };
    let calls = 0;
    const { app } = idvApp(
      async (req) => {
        calls++;
        req.socket.once('close', clientGone.open);
        entered.open();
        await held.opened;
        finished.open();
      },
      { store },
    );
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const body = idv({ topic: 'session_completion' });
      const { port } = server.address() as AddressInfo;
      const aborted = http.request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/hook',
        headers: { 'content-type': 'application/json' },
      });
      aborted.on('error', () => undefined);
      aborted.end(body);
      await entered.opened;
      aborted.destroy();
      await clientGone.opened;
      held.open();
      await finished.opened;
      await recorded.opened;
      await request(server).post('/hook').type('json').send(body).expect(200);
      expect(calls).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('mounted before the parser, it is a TypeError through next(err)', async () => {
    const app = appWith(express, [
      rawBody(),
      deduplicate({ store: new MemoryStore() }),
      parseIdvNotification(),
      topicRouter(),
    ]);
    const res = await request(app)
      .post('/hook')
      .type('json')
      .send(idv({ topic: 'session_completion' }));
    expect(res.status).toBe(500);
    expect(res.body.message).toMatch(/mount it after/);
  });

  test.each<[string, Partial<DeduplicateOptions>, number[]]>([
    [
      'a key function that throws',
      {
        key: () => {
          throw new Error('bad key');
        },
      },
      [500, 500],
    ],
    ['a key function that returns a number', { key: () => 42 as unknown as string }, [500, 500]],
    [
      'an onDuplicate that throws',
      {
        key: () => 'fixed',
        onDuplicate: () => {
          throw new Error('hook');
        },
      },
      [200, 500],
    ],
  ])('%s is a 500 through next(err)', async (_what, options, statuses) => {
    const { app } = idvApp(() => undefined, options);
    const body = idv({ topic: 'session_completion' });
    const first = await request(app).post('/hook').type('json').send(body);
    const second = await request(app).post('/hook').type('json').send(body);
    expect([first.status, second.status]).toEqual(statuses);
  });
});

describe('deduplicate() options', () => {
  const store = new MemoryStore();
  test.each([
    ['no options', undefined],
    ['no store', {}],
    ['a store without release', { store: { claim: async () => ({}), complete: async () => true } }],
    ['a zero lease', { store, leaseMs: 0 }],
    ['a fractional retention', { store, retentionMs: 1.5 }],
    ['a negative store timeout', { store, storeTimeoutMs: -1 }],
    ['a string Retry-After', { store, retryAfterSeconds: '5' }],
    ['a zero 503 Retry-After', { store, unavailableRetryAfterSeconds: 0 }],
    ['a non-function clock', { store, now: 5 }],
    ['an unknown onStoreError', { store, onStoreError: 'ignore' }],
    ['a non-function key', { store, key: 'id' }],
    ['a non-function onDuplicate', { store, onDuplicate: true }],
    ['a non-function onSettleFailure', { store, onSettleFailure: 'log' }],
  ])('%s is a TypeError at setup', (_what, options) => {
    expect(() => deduplicate(options as unknown as DeduplicateOptions)).toThrow(TypeError);
  });

  test('returns a named middleware, as the other middlewares do', () => {
    expect(deduplicate({ store }).name).toBe('deduplicateMiddleware');
  });

  test('the options object is not mutated', () => {
    const options = Object.freeze({ store, leaseMs: 1000 });
    expect(() => deduplicate(options)).not.toThrow();
  });
});
