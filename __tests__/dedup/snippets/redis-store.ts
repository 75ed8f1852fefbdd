import express from 'express';
import { createClient } from 'redis';
import {
  authHeader,
  deduplicate,
  parseIdvNotification,
  rawBody,
  RedisStore,
  topicRouter,
} from 'express-yoti-notifications';

// Fail fast while Redis is down: deduplicate() then answers 503 and Yoti redelivers later.
export const redis = createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true });
redis.on('error', (error) => console.error('redis:', error.message));

export const app = express();
export const completed: string[] = [];

app.post(
  '/yoti/idv',
  authHeader({ scheme: 'basic', token: 'yoti:change-me' }),
  rawBody(),
  parseIdvNotification(),
  deduplicate({
    store: new RedisStore({ client: redis, prefix: 'myapp:yoti:' }),
    leaseMs: 30_000, // longer than the slowest handler
    onDuplicate: (req, key) => console.info('redelivery acknowledged:', key),
  }),
  topicRouter().on('session_completion', async (req) => {
    completed.push(req.notification.session_id); // e.g. fetch the result, grant access
  }),
);

// Later, once: await redis.connect(); app.listen(3000);
