import express from 'express';
import {
  authHeader,
  deduplicate,
  MemoryStore,
  parseIdvNotification,
  rawBody,
  topicRouter,
} from 'express-yoti-notifications';

export const app = express();
export const fetched: string[] = [];

app.post(
  '/yoti/idv',
  authHeader({ scheme: 'basic', token: 'yoti:change-me' }),
  rawBody(),
  parseIdvNotification(),
  // One app instance: remember handled notifications in memory (at most 100,000).
  deduplicate({ store: new MemoryStore() }),
  topicRouter().on('check_completion', async (req) => {
    fetched.push(req.notification.check_id); // runs once per check, however often Yoti sends it
  }),
);
