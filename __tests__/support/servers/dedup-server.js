// An app instance for the multi-instance de-duplication test, built from the compiled
// package (dist/), in its own process. Started with child_process.fork; talks over IPC:
//   → { type: 'listening', port, pid } once it accepts connections
//   ← { type: 'stats' }  → { type: 'stats', pid, completed, failed, duplicates, requests }
// Every successful handler run adds 1 to the notification's field of a Redis hash shared by
// all instances, so the parent can count completions per notification across instances.
// Handlers fail at random (throw or reject), from a seeded generator.
'use strict';
const http = require('node:http');
const express = require('express');
const {
  authHeader,
  deduplicate,
  parseIdvNotification,
  rawBody,
  RedisStore,
  topicRouter,
} = require('../../../dist');

const config = JSON.parse(process.env.DEDUP_SERVER_CONFIG || '{}');
const failureRate = config.failureRate ?? 0.05;

const { prng } = require('../prng');
const random = prng(config.seed ?? 1);

async function connect() {
  if (config.client === 'ioredis') {
    const { Redis } = require('ioredis');
    const client = new Redis(config.redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    client.on('error', () => undefined);
    await client.connect();
    return {
      client,
      count: (field) => client.hincrby(config.countsKey, field, 1),
      close: () => client.quit(),
    };
  }
  const { createClient } = require('redis');
  const client = createClient({ url: config.redisUrl, disableOfflineQueue: true });
  client.on('error', () => undefined);
  await client.connect();
  return {
    client,
    count: (field) => client.hIncrBy(config.countsKey, field, 1),
    close: () => client.quit(),
  };
}

async function main() {
  const redis = await connect();
  let completed = 0;
  let failed = 0;
  let duplicates = 0;
  let requests = 0;

  const handler = async (req) => {
    const roll = random();
    if (roll < failureRate / 2) {
      failed++;
      throw new Error('handler failed (sync)');
    }
    // Give a concurrent duplicate time to arrive at another instance while this one works.
    await new Promise((resolve) => setImmediate(resolve));
    if (roll < failureRate) {
      failed++;
      throw new Error('handler failed (async)');
    }
    await redis.count(req.notification.task_id);
    completed++;
  };

  const app = express();
  app.use((_req, _res, next) => {
    requests++;
    next();
  });
  app.post(
    '/idv',
    authHeader({ scheme: 'basic', token: config.basicToken }),
    rawBody(),
    parseIdvNotification(),
    deduplicate({
      store: new RedisStore({ client: redis.client, prefix: config.prefix }),
      onDuplicate: () => duplicates++,
    }),
    topicRouter().on('task_completion', handler),
  );
  // Quiet error handler: failures are expected here.
  app.use((err, _req, res, _next) => {
    res
      .status(err.status || 500)
      .set(err.headers || {})
      .json({ code: err.code || 'HANDLER_FAILED' });
  });

  const server = http.createServer(app);
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => {
    process.send({ type: 'listening', port: server.address().port, pid: process.pid });
  });
  process.on('message', (message) => {
    if (message && message.type === 'stats') {
      process.send({ type: 'stats', pid: process.pid, completed, failed, duplicates, requests });
    }
  });
  process.on('disconnect', () => {
    server.closeAllConnections();
    server.close();
    redis.close().finally(() => process.exit(0));
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
