// The servers of bench/inbox.bench.js, each in its own process, built from dist/:
// `node inbox-server.js <kind>`, started by fork(). The same IDV chain (authHeader + rawBody +
// parseIdvNotification) on POST /hook, ending in:
//   inline: topicRouter() with a handler that returns at once (the reference: answers at once)
//   inbox:  enqueue(BullMQInbox): 200 once Redis holds the job
//   dedup:  deduplicate(RedisStore) + the same topicRouter() (records expire after a minute)
//   redis-set: one SET of a fresh key (expiring after a minute), answered once Redis confirmed
//           it: a Redis round trip alone, to compare the inbox's with
//   worker: no HTTP; inbox.work() on the same queue with a handler that takes
//           config.handlerMs (2 s), `concurrency` at once
//   pgboss-inbox, pgboss-worker: the same as inbox and worker, on PgBossInbox (config.databaseUrl)
// Sends { type: 'listening', port, pid } (or { type: 'ready', pid }) over IPC when ready;
// ends on disconnect. Config (INBOX_BENCH_CONFIG, JSON): { redisUrl, queueName, prefix,
// basicToken, handlerMs, concurrency }.
'use strict';
const http = require('node:http');
const path = require('node:path');
const express = require('express');

const ROOT = path.join(__dirname, '..', '..');
const PACKAGE = process.env.BENCH_PACKAGE || ROOT;
const kind = process.argv[2];
const config = JSON.parse(process.env.INBOX_BENCH_CONFIG || '{}');

async function main() {
  const {
    authHeader,
    deduplicate,
    enqueue,
    parseIdvNotification,
    rawBody,
    RedisStore,
    topicRouter,
  } = require(PACKAGE);
  const closers = [];
  const bullmqInbox = () => {
    const { Redis } = require('ioredis');
    const { BullMQInbox } = require(path.join(PACKAGE, 'dist', 'bullmq'));
    const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
    connection.on('error', () => undefined);
    const inbox = new BullMQInbox({ connection, queueName: config.queueName });
    closers.push(
      () => inbox.close(),
      () => connection.disconnect(),
    );
    return inbox;
  };

  const pgBossInbox = async () => {
    const { PgBossInbox } = require(path.join(PACKAGE, 'dist', 'pg-boss'));
    const inbox = new PgBossInbox({
      connectionString: config.databaseUrl,
      queueName: config.queueName,
    });
    // pg-boss installs its schema on the first start: before listening, as the docs say.
    await inbox.start();
    closers.push(() => inbox.close());
    return inbox;
  };

  if (kind === 'worker' || kind === 'pgboss-worker') {
    const inbox = kind === 'worker' ? bullmqInbox() : await pgBossInbox();
    const handler = () => new Promise((resolve) => setTimeout(resolve, config.handlerMs));
    const worker = inbox.work(
      { idv: { task_completion: handler } },
      { concurrency: config.concurrency ?? 64 },
    );
    closers.unshift(() => worker.close({ timeoutMs: 1_000 }));
    process.send({ type: 'ready', pid: process.pid });
  } else {
    const chain = [
      authHeader({ scheme: 'basic', token: config.basicToken }),
      rawBody(),
      parseIdvNotification(),
    ];
    const answerAtOnce = topicRouter().on('task_completion', () => undefined);
    const app = express();
    if (kind === 'inline') {
      app.post('/hook', ...chain, answerAtOnce);
    } else if (kind === 'inbox') {
      app.post('/hook', ...chain, enqueue(bullmqInbox()));
    } else if (kind === 'pgboss-inbox') {
      app.post('/hook', ...chain, enqueue(await pgBossInbox()));
    } else if (kind === 'redis-set') {
      const { Redis } = require('ioredis');
      const client = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
      client.on('error', () => undefined);
      closers.push(() => client.disconnect());
      let sequence = 0;
      app.post('/hook', ...chain, (_req, res, next) => {
        const key = `${config.prefix}round-trip:${process.pid}:${++sequence}`;
        client.set(key, '1', 'EX', 60).then(() => res.end(), next);
      });
    } else if (kind === 'dedup') {
      const { createClient } = require('redis');
      const client = createClient({ url: config.redisUrl, disableOfflineQueue: true });
      client.on('error', () => undefined);
      await client.connect();
      closers.push(() => client.quit());
      const store = new RedisStore({ client, prefix: config.prefix });
      app.post('/hook', ...chain, deduplicate({ store, retentionMs: 60_000 }), answerAtOnce);
    } else {
      throw new Error(`unknown inbox bench server kind ${kind}`);
    }
    app.use((err, _req, res, _next) => {
      res.status(err.status ?? 500).json({ code: err.code ?? 'UNEXPECTED' });
    });
    const server = http.createServer({ keepAliveTimeout: 30_000 }, app);
    closers.unshift(() => {
      server.closeAllConnections();
      server.close();
    });
    server.listen(0, '127.0.0.1', () => {
      process.send({ type: 'listening', port: server.address().port, pid: process.pid });
    });
  }
  process.on('disconnect', async () => {
    for (const close of closers) await Promise.resolve(close()).catch(() => undefined);
    process.exit(0);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
