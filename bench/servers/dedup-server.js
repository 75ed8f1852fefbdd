// The server side of bench/deduplicate.bench.js, in its own process, built from dist/: the
// same IDV chain twice, at /plain without de-duplication and at /dedup with
// deduplicate(RedisStore). Sends { type: 'listening', port } over IPC when ready, and
// answers { type: 'usage' } with what the server used since the last such message: the event
// loop's utilization (the share of the time it was busy rather than waiting for I/O) and the
// process's CPU time in µs (all threads, user and system).
'use strict';
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const express = require('express');
const {
  authHeader,
  deduplicate,
  parseIdvNotification,
  rawBody,
  RedisStore,
  topicRouter,
} = require('../../dist');

const config = JSON.parse(process.env.DEDUP_BENCH_CONFIG || '{}');

async function main() {
  let client;
  if (config.client === 'ioredis') {
    const { Redis } = require('ioredis');
    client = new Redis(config.redisUrl, { enableOfflineQueue: false, lazyConnect: true });
    client.on('error', () => undefined);
    await client.connect();
  } else {
    const { createClient } = require('redis');
    client = createClient({ url: config.redisUrl, disableOfflineQueue: true });
    client.on('error', () => undefined);
    await client.connect();
  }

  const chain = (dedup) => [
    authHeader({ scheme: 'basic', token: config.basicToken }),
    rawBody(),
    parseIdvNotification(),
    ...dedup,
    topicRouter().on('task_completion', () => undefined),
  ];
  const store = new RedisStore({ client, prefix: config.prefix });
  const app = express();
  app.post('/plain', ...chain([]));
  // Records expire a minute after the run: the bench leaves nothing behind in Redis.
  app.post('/dedup', ...chain([deduplicate({ store, retentionMs: 60_000 })]));

  const server = http.createServer(app);
  server.listen(0, '127.0.0.1', () => {
    process.send({ type: 'listening', port: server.address().port });
  });
  let since = { loop: performance.eventLoopUtilization(), cpu: process.cpuUsage() };
  process.on('message', (message) => {
    if (message && message.type === 'usage') {
      const now = { loop: performance.eventLoopUtilization(), cpu: process.cpuUsage() };
      process.send({
        type: 'usage',
        utilization: performance.eventLoopUtilization(now.loop, since.loop).utilization,
        cpuMicros: now.cpu.user - since.cpu.user + (now.cpu.system - since.cpu.system),
      });
      since = now;
    }
  });
  process.on('disconnect', () => {
    server.closeAllConnections();
    server.close();
    client.quit().finally(() => process.exit(0));
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
