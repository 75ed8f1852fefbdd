const { beforeAll, expect, test } = require('@jest/globals');
const express = require('express');
const { ageVerificationNotifications, idvNotifications } = require('express-yoti-notifications');
const {
  createTestSigner,
  deliver,
  mockAgeVerificationNotification,
  mockIdvNotification,
} = require('express-yoti-notifications/testing');

const auth = { scheme: 'basic', token: 'yoti:test-password' };

// The app under test, verifying signatures with the test signer's key instead of Yoti's.
// Handlers record what they receive.
function createApp(publicKey, received) {
  const onResult = (req) => received.push(req.notification);
  const app = express();
  app.use(
    '/yoti/idv',
    idvNotifications({
      auth,
      handlers: { session_completion: onResult },
    }),
  );
  app.use(
    '/yoti/age',
    ageVerificationNotifications({
      publicKey,
      handlers: {
        COMPLETE: onResult,
        FAIL: onResult,
      },
    }),
  );
  return app;
}

let signer;
beforeAll(async () => {
  signer = await createTestSigner(); // one fresh 3072-bit key for the file: the slow part
}, 30_000);

test('a completed IDV session reaches its handler', async () => {
  const received = [];
  const app = createApp(signer.publicKey, received);
  const notification = mockIdvNotification('session_completion');
  await deliver(app, '/yoti/idv', notification, { auth }).expect(200);
  expect(received).toEqual([notification]);
});

test('a wrong token is refused', async () => {
  const received = [];
  const app = createApp(signer.publicKey, received);
  const notification = mockIdvNotification('session_completion');
  await deliver(app, '/yoti/idv', notification, { auth: { ...auth, token: 'yoti:wrong' } })
    .expect(401)
    .expect('WWW-Authenticate', /^Basic/);
  expect(received).toEqual([]);
});

test('a signed age verification result reaches its handler', async () => {
  const received = [];
  const app = createApp(signer.publicKey, received);
  const payload = signer.sign(mockAgeVerificationNotification({ state: 'FAIL', age: 17 }));
  await deliver(app, '/yoti/age', payload).expect(200);
  expect(received).toEqual([payload]);
  expect(received[0]).toMatchObject({ state: 'FAIL', age: 17 });
});

test('a tampered notification is refused', async () => {
  const received = [];
  const app = createApp(signer.publicKey, received);
  const payload = signer.sign(mockAgeVerificationNotification());
  await deliver(app, '/yoti/age', { ...payload, age: 99 }).expect(401);
  expect(received).toEqual([]);
});
