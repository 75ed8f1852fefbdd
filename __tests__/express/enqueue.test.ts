// enqueue(): 200 only once the inbox confirmed the write; 503 STORE_UNAVAILABLE otherwise.
import type { Express } from 'express';
import request from 'supertest';
import express5 from 'express';
import {
  ageVerificationNotifications,
  enqueue,
  idvNotifications,
  notificationErrorHandler,
  parseIdvNotification,
  rawBody,
  verifySignature,
} from '../../lib';
import type { Inbox, InboxEntry, StoreOutcome } from '../../lib';
import { createTestSigner, mockAgeVerificationNotification } from '../../lib/testing';
import { EXPRESS_VERSIONS, basic } from '../support/express-versions';

/** An inbox whose writes the test settles by hand. */
function handInbox() {
  const entries: InboxEntry[] = [];
  const pending: Array<{ resolve: (o: StoreOutcome) => void; reject: (e: unknown) => void }> = [];
  const inbox: Inbox = {
    store(entry) {
      entries.push(entry);
      return new Promise<StoreOutcome>((resolve, reject) => pending.push({ resolve, reject }));
    },
    work: () => ({ close: async () => undefined }),
    failed: async () => [],
    retry: async () => 0,
    close: async () => undefined,
  };
  return { inbox, entries, pending };
}

const IDV = '{"session_id":"s1","topic":"check_completion","check_id":"c1"}';

describe.each(EXPRESS_VERSIONS)('%s', (_name, express) => {
  function appWith(inbox: Inbox, options = {}): Express {
    const app = express();
    app.post(
      '/idv',
      rawBody(),
      parseIdvNotification(),
      enqueue(inbox, { now: () => 1_000, ...options }),
    );
    app.use(notificationErrorHandler({ log: () => undefined }));
    return app;
  }

  test('the 200 waits for the write; the entry holds kind, key, notification, receivedAt', async () => {
    const { inbox, entries, pending } = handInbox();
    let answered = false;
    const response = request(appWith(inbox))
      .post('/idv')
      .type('json')
      .send(IDV)
      .then((res) => {
        answered = true;
        return res;
      });
    while (pending.length === 0) await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBe(false);
    pending[0]!.resolve({ id: 'j1' });
    expect((await response).status).toBe(200);
    expect(entries).toEqual([
      {
        kind: 'idv',
        key: 'idv:s1:check_completion:c1',
        notification: JSON.parse(IDV),
        receivedAt: 1_000,
      },
    ]);
  });

  test('a redelivery the inbox already holds (resolving with the held id) is answered 200 too', async () => {
    const { inbox, pending } = handInbox();
    const response = request(appWith(inbox)).post('/idv').type('json').send(IDV);
    const done = response.then((res) => res.status);
    while (pending.length === 0) await new Promise((resolve) => setImmediate(resolve));
    pending[0]!.resolve({ id: 'j1' });
    expect(await done).toBe(200);
  });

  test('the engine refuses: 503 STORE_UNAVAILABLE with Retry-After', async () => {
    const { inbox, pending } = handInbox();
    const done = request(appWith(inbox, { retryAfterSeconds: 7 }))
      .post('/idv')
      .type('json')
      .send(IDV)
      .then((res) => res);
    while (pending.length === 0) await new Promise((resolve) => setImmediate(resolve));
    pending[0]!.reject(new Error('ECONNREFUSED'));
    const res = await done;
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('STORE_UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('7');
  });

  test('the engine is slower than timeoutMs: 503', async () => {
    const { inbox } = handInbox();
    const res = await request(appWith(inbox, { timeoutMs: 5 }))
      .post('/idv')
      .type('json')
      .send(IDV);
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('STORE_UNAVAILABLE');
  });

  test('store() that throws at once: 503, never a crash', async () => {
    const inbox = {
      ...handInbox().inbox,
      store: () => {
        throw new Error('boom');
      },
    };
    const res = await request(appWith(inbox)).post('/idv').type('json').send(IDV);
    expect(res.status).toBe(503);
  });

  test('an age verification notification is stored as kind age, keyed by its id', async () => {
    const signer = await createTestSigner({ modulusLength: 2048 });
    const { inbox, entries, pending } = handInbox();
    const app = express();
    app.post('/age', rawBody(), verifySignature({ publicKey: signer.publicKey }), enqueue(inbox));
    const payload = signer.sign(mockAgeVerificationNotification());
    const done = request(app)
      .post('/age')
      .type('json')
      .send(JSON.stringify(payload))
      .then((r) => r.status);
    while (pending.length === 0) await new Promise((resolve) => setImmediate(resolve));
    pending[0]!.resolve({ id: 'j' });
    expect(await done).toBe(200);
    expect(entries[0]).toMatchObject({ kind: 'age', key: `av:${payload.id}` });
  });
});

test('setup mistakes are TypeErrors with a hint', () => {
  const { inbox } = handInbox();
  expect(() => enqueue(Promise.resolve(inbox) as never)).toThrow(/did you forget await\?/);
  expect(() => enqueue({} as never)).toThrow(TypeError);
  expect(() => enqueue(inbox, { timeoutMs: 0 })).toThrow(/timeoutMs/);
  expect(() => enqueue(inbox, { retryAfterSeconds: 1.5 })).toThrow(/retryAfterSeconds/);
});

describe('the presets with an inbox', () => {
  test('idvNotifications({ auth, inbox }) authenticates, stores, then answers 200', async () => {
    const { inbox, entries, pending } = handInbox();
    const app = express5();
    const auth = { scheme: 'basic' as const, token: 'yoti:secret' };
    app.use('/yoti/idv', idvNotifications({ auth, inbox }));
    app.use(notificationErrorHandler({ log: () => undefined }));
    const refused = await request(app).post('/yoti/idv').type('json').send(IDV);
    expect(refused.status).toBe(401);
    expect(entries).toHaveLength(0);
    const done = request(app)
      .post('/yoti/idv')
      .set('Authorization', basic('yoti:secret'))
      .type('json')
      .send(IDV)
      .then((res) => res.status);
    while (pending.length === 0) await new Promise((resolve) => setImmediate(resolve));
    pending[0]!.resolve({ id: 'j' });
    expect(await done).toBe(200);
    expect(entries[0]).toMatchObject({ kind: 'idv', key: 'idv:s1:check_completion:c1' });
  });

  test('ageVerificationNotifications({ inbox }) stores verified notifications', async () => {
    const signer = await createTestSigner({ modulusLength: 2048 });
    const { inbox, entries, pending } = handInbox();
    const app = express5();
    app.use('/yoti/age', ageVerificationNotifications({ publicKey: signer.publicKey, inbox }));
    const payload = signer.sign(mockAgeVerificationNotification({ state: 'FAIL' }));
    const done = request(app)
      .post('/yoti/age')
      .type('json')
      .send(JSON.stringify(payload))
      .then((res) => res.status);
    while (pending.length === 0) await new Promise((resolve) => setImmediate(resolve));
    pending[0]!.resolve({ id: 'j' });
    expect(await done).toBe(200);
    expect(entries[0]).toMatchObject({ kind: 'age', notification: { state: 'FAIL' } });
  });

  test('both handlers and an inbox, or neither, is a TypeError', () => {
    const { inbox } = handInbox();
    const auth = { scheme: 'basic' as const, token: 'yoti:secret' };
    expect(() =>
      idvNotifications({ auth, inbox, handlers: { session_completion: () => 1 } } as never),
    ).toThrow(/handlers .* or an inbox/);
    expect(() => idvNotifications({ auth } as never)).toThrow(TypeError);
    expect(() => ageVerificationNotifications({} as never)).toThrow(TypeError);
  });
});
