// The one place where the process-level inbox tests (__tests__/inbox/faults.test.ts) and their
// child processes build an inbox, so that the same tests run on every engine. Loads the built
// package (dist/), as an application would.
//   createInbox(engine, queueName, options?) → an Inbox (engine-neutral options: attempts,
//     backoff: { delayMs, maxDelayMs }, lockMs for pg-boss, whose job expiry is the inbox's)
//   workOptions(engine, { concurrency, lockMs }) → options of inbox.work(): lockMs is how long
//     a job of a dead worker stays locked before another worker may take it
//   pendingJobs(engine, inbox) → jobs not yet finished (waiting, delayed, running), or
//     undefined where the engine offers no count here
//   closeInbox(engine, inbox), destroyQueue(engine, inbox): the inbox's connections; its data
//   engineUnavailable(engine) → why the engine cannot run here, or undefined
// Engines: 'bullmq' (REDIS_URL) and 'pg-boss' (DATABASE_URL).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const DIST = path.join(__dirname, '..', '..', '..', 'dist');
const ENGINES = ['bullmq', 'pg-boss'];

/** The ioredis connection of each BullMQ inbox built here (BullMQ does not close a given one). */
const connections = new WeakMap();

function engineUnavailable(engine) {
  if (engine === 'bullmq') {
    if (!fs.existsSync(path.join(DIST, 'bullmq', 'index.js'))) return 'dist/bullmq is missing';
    return process.env.REDIS_URL ? undefined : 'REDIS_URL is not set';
  }
  if (engine === 'pg-boss') {
    if (!fs.existsSync(path.join(DIST, 'pg-boss', 'index.js'))) return 'dist/pg-boss is missing';
    return process.env.DATABASE_URL ? undefined : 'DATABASE_URL is not set';
  }
  return `unknown engine ${engine}`;
}

function createInbox(engine, queueName, { lockMs, ...options } = {}) {
  if (engine === 'bullmq') {
    const { Redis } = require('ioredis');
    const { BullMQInbox } = require(path.join(DIST, 'bullmq'));
    const connection = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: null });
    connection.on('error', () => undefined);
    const inbox = new BullMQInbox({ connection, queueName, ...options });
    connections.set(inbox, connection);
    return inbox;
  }
  if (engine === 'pg-boss') {
    const { PgBossInbox } = require(path.join(DIST, 'pg-boss'));
    return new PgBossInbox({
      connectionString: process.env.DATABASE_URL,
      queueName,
      ...options,
      // pg-boss: a job still active after its expiry is failed and retried by the queue's policy.
      ...(lockMs !== undefined && { expireInSeconds: Math.max(1, Math.ceil(lockMs / 1000)) }),
    });
  }
  throw new TypeError(`unknown engine ${engine}`);
}

function workOptions(engine, { concurrency = 1, lockMs } = {}) {
  if (lockMs === undefined) return { concurrency };
  if (engine === 'bullmq') {
    // The lock expires lockMs after its last renewal; stalled jobs are looked for twice as often.
    return { concurrency, lockDurationMs: lockMs, stalledIntervalMs: Math.ceil(lockMs / 2) };
  }
  // pg-boss: the lock is the inbox's expireInSeconds (createInbox); look for jobs often.
  return { concurrency, pollingIntervalSeconds: 0.5 };
}

async function pendingJobs(engine, inbox) {
  if (engine === 'bullmq') {
    const counts = await inbox.queue.getJobCounts(
      'waiting',
      'active',
      'delayed',
      'prioritized',
      'paused',
    );
    return Object.values(counts).reduce((sum, n) => sum + n, 0);
  }
  return undefined;
}

async function closeInbox(_engine, inbox) {
  await inbox.close();
  connections.get(inbox)?.disconnect();
}

async function destroyQueue(engine, inbox) {
  if (engine === 'bullmq') await inbox.queue.obliterate({ force: true });
}

module.exports = {
  ENGINES,
  closeInbox,
  createInbox,
  destroyQueue,
  engineUnavailable,
  pendingJobs,
  workOptions,
};
