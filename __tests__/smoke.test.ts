import express from 'express';
import request from 'supertest';
import { authHeader, parseIdvNotification, rawBody, topicRouter } from '../lib';

test('smoke', async () => {
  const app = express();
  const seen: string[] = [];
  app.post(
    '/',
    authHeader({ scheme: 'basic', token: 'u:p' }),
    rawBody(),
    parseIdvNotification(),
    topicRouter().on('check_completion', (req) => {
      seen.push(req.notification.check_id);
    }),
  );
  await request(app)
    .post('/')
    .set('Authorization', 'Basic ' + Buffer.from('u:p').toString('base64'))
    .type('json')
    .send('{"session_id":"s","topic":"check_completion","check_id":"c"}')
    .expect(200);
  expect(seen).toEqual(['c']);
});
