// The same two notification routes as app.js, through an inbox: the receiver stores each
// verified notification and answers 200, a worker handles it afterwards (here one handler
// fails on its first run and is retried). The engine: Redis when REDIS_URL is set, a Postgres
// server when DATABASE_URL is set, otherwise PGlite (Postgres in process: no server at all).
const express = require('express');
const {
  idvNotifications,
  ageVerificationNotifications,
  notificationErrorHandler,
} = require('express-yoti-notifications');

/**
 * The inbox on the engine the environment names, and how it is described.
 * @param {string} queueName
 */
function createInbox(queueName) {
  if (process.env.REDIS_URL) {
    const { Redis } = require('ioredis');
    const { BullMQInbox } = require('express-yoti-notifications/bullmq');
    const connection = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: null });
    const inbox = new BullMQInbox({ connection, queueName, backoff: { delayMs: 200 } });
    return {
      engine: `Redis (BullMQ) at ${process.env.REDIS_URL}`,
      inbox,
      ready: () => inbox.queue.waitUntilReady(),
      close: async () => {
        await inbox.close();
        connection.disconnect();
      },
    };
  }
  const { PgBossInbox } = require('express-yoti-notifications/pg-boss');
  const engine = process.env.DATABASE_URL
    ? { connectionString: process.env.DATABASE_URL }
    : { pglite: ':memory:' };
  const inbox = new PgBossInbox({ ...engine, queueName, backoff: { delayMs: 1000 } });
  return {
    engine: process.env.DATABASE_URL
      ? `Postgres (pg-boss) at ${new URL(process.env.DATABASE_URL).host}`
      : 'PGlite (pg-boss), in process, no server',
    inbox,
    // The first start installs pg-boss's schema: before listening, not in Yoti's request.
    ready: () => inbox.start(),
    close: () => inbox.close(),
  };
}

/**
 * The receiving side: verify, store, 200.
 * @param {import('express-yoti-notifications').Inbox} inbox
 * @param {{ idvToken: string, publicKey?: string }} options
 */
function createReceiver(inbox, { idvToken, publicKey }) {
  const app = express();
  app.use('/yoti/idv', idvNotifications({ auth: { scheme: 'basic', token: idvToken }, inbox }));
  app.use('/yoti/age', ageVerificationNotifications({ publicKey, inbox }));
  app.use(notificationErrorHandler());
  return app;
}

/**
 * The working side. `session_completion` fails on its first run (as when Yoti's API answers
 * 503 for a moment) and succeeds on the retry.
 * @param {import('express-yoti-notifications').Inbox} inbox
 * @param {{
 *   onHandled: (kind: string, notification: object, attempt: number) => void,
 *   onFailed: (entry: { attempt: number, willRetry: boolean, error: Error }) => void,
 * }} hooks
 */
function startWorker(inbox, { onHandled, onFailed }) {
  return inbox.work(
    {
      idv: {
        session_completion: (notification, job) => {
          if (job.attempt === 1) throw new Error('the session could not be fetched yet');
          onHandled('session_completion', notification, job.attempt);
        },
      },
      age: {
        COMPLETE: (notification, job) => onHandled('age COMPLETE', notification, job.attempt),
      },
    },
    { concurrency: 2, pollingIntervalSeconds: 0.5, onFailed },
  );
}

module.exports = { createInbox, createReceiver, startWorker };
