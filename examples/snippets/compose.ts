import express from 'express';
import {
  authHeader,
  keepRawBody,
  parseIdvNotification,
  rawBody,
  topicRouter,
} from 'express-yoti-notifications';

export const app = express();

// An app that parses JSON everywhere keeps the exact bytes for the notification routes.
app.use(express.json({ verify: keepRawBody }));

// A fresh Bearer token per session, stored with it and looked up by session id.
export const tokensBySession = new Map<string, string>();

app.post(
  '/yoti/idv',
  rawBody({ limit: '16kb' }),
  parseIdvNotification(),
  authHeader({
    scheme: 'bearer',
    token: async (req) => tokensBySession.get(req.notification?.session_id ?? ''),
  }),
  topicRouter()
    .on('session_completion', async (req) => {
      console.log('fetch the result of', req.notification.session_id);
    })
    .on(['task_completion', 'check_completion'], (req) => {
      console.log(req.notification.topic, 'in', req.notification.session_id);
    }),
);
