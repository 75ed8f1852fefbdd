import express from 'express';
import { Redis } from 'ioredis';
import { idvNotifications, notificationErrorHandler } from 'express-yoti-notifications';
import { BullMQInbox } from 'express-yoti-notifications/bullmq';

export const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  maxRetriesPerRequest: null, // BullMQ's workers need it
});
export const inbox = new BullMQInbox({ connection, attempts: 10 });

// Receivers, any number of instances: 200 once Redis holds the notification.
export const app = express();
app.use(
  '/yoti/idv',
  idvNotifications({ auth: { scheme: 'basic', token: 'yoti:change-me' }, inbox }),
  notificationErrorHandler(),
);

// Workers, in the same or other processes: retried with backoff, then kept as failed.
export const worker = inbox.work(
  {
    idv: {
      session_completion: async (notification, job) => {
        console.log('fetch session', notification.session_id, 'run', job.attempt);
      },
    },
  },
  { concurrency: 8 },
);
