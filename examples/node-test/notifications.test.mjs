import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import express from 'express';
import { ageVerificationNotifications } from 'express-yoti-notifications';
import {
  createTestSigner,
  deliver,
  mockAgeVerificationNotification,
} from 'express-yoti-notifications/testing';

let signer;
before(async () => {
  signer = await createTestSigner();
});

test('a signed age verification result reaches its handler', async () => {
  const received = [];
  const app = express();
  app.use(
    '/yoti/age',
    ageVerificationNotifications({
      publicKey: signer.publicKey,
      handlers: { COMPLETE: (req) => received.push(req.notification) },
    }),
  );
  const payload = signer.sign(mockAgeVerificationNotification());
  await deliver(app, '/yoti/age', payload).expect(200);
  assert.deepEqual(received, [payload]);
});
