// The inbox's receiving side on Redis (BullMQ), against two references on the same machine,
// in the same run. Servers in their own processes (bench/servers/inbox-server.js, built
// package); two of them are loaded at the same time, each by its own client with the same
// settings, the one started first alternating, so that a noisy machine slows both alike.
// Every request carries a fresh task_id: each one is a new notification, stored or claimed.
//
// - Acknowledgement latency with a 2 s handler: the IDV chain ending in enqueue(BullMQInbox),
//   with a worker process running a handler that takes 2 s, against the same chain ending in
//   a handler that returns at once. Both at the same fixed rate (INBOX_BENCH_RATE requests per
//   second each, default 400), so that the latency is each request's own, not a queue's. Bar:
//   p99 ≤ 2× the reference's; the p50 ratio is reported beside it (no bar). Beside them, for
//   information, the same chain ending in one Redis SET against the same reference: what a
//   round trip to Redis alone does to the p99 on this machine.
// - Receiver throughput: enqueue(BullMQInbox) against deduplicate(RedisStore), the
//   exactly-once route that answers after its handler, on the same Redis; a closed loop of
//   the suite's connections (16) each. Bar: ≥ 0.8×.
// Needs Redis at REDIS_URL (bash scripts/redis-server.sh start, then
// REDIS_URL=redis://127.0.0.1:6390 npm run bench); without it the module says so and is skipped.
'use strict';
const { fork } = require('node:child_process');
const { randomUUID } = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { freshNotifications } = require('./fresh-load');

const ROOT = path.join(__dirname, '..');
const SERVER = path.join(__dirname, 'servers', 'inbox-server.js');
const BASIC_TOKEN = 'bench:notify';
const RATE = Number(process.env.INBOX_BENCH_RATE || 400);
const HANDLER_MS = 2_000;

function redisAnswers(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port || 6379), hostname);
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(String(data).startsWith('+PONG')));
  });
}

/** Redis's persistence settings, as the figures depend on them: `appendonly …, appendfsync …`. */
async function redisPersistence(url) {
  const { Redis } = require('ioredis');
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    const [, appendonly] = await client.config('GET', 'appendonly');
    const [, appendfsync] = await client.config('GET', 'appendfsync');
    return `appendonly ${appendonly}, appendfsync ${appendfsync}`;
  } catch {
    return 'persistence settings unknown (CONFIG GET refused)';
  } finally {
    client.disconnect();
  }
}

const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function start(kind, config) {
  const child = fork(SERVER, [kind], {
    env: { ...process.env, INBOX_BENCH_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.disconnect();
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`inbox bench: ${kind} did not start`));
    }, 15_000);
    child.once('exit', (code) => reject(new Error(`inbox bench: ${kind} exited with ${code}`)));
    child.once('message', (message) => {
      clearTimeout(timer);
      resolve({ kind, port: message.port, stop });
    });
  });
}

/**
 * Loads one server as fast as `connections` closed-loop connections go for `seconds`, with
 * fresh notifications (wrk when installed, as the rest of the bench), and checks that every
 * answer was a 2xx.
 */
async function load(server, { seconds, connections }) {
  const result = await freshNotifications({
    port: server.port,
    basicToken: BASIC_TOKEN,
    seconds,
    connections,
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(
      `inbox bench: ${server.kind} answered ${result.non2xx} non-2xx and had ${result.errors} socket errors`,
    );
  }
  return result;
}

/**
 * Sends fresh notifications to one server at a fixed `rate` for `seconds` (an open loop: each
 * request leaves on schedule, whether or not earlier ones were answered), over at most
 * `connections` keep-alive connections, and measures each one's time to its answer with
 * performance.now(). Bounded: `rate × seconds` requests, and `seconds + 10` s in all.
 */
function paced(server, { seconds, connections, rate }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const session = randomUUID();
  const tag = randomUUID().slice(0, 8);
  const authorization = 'Basic ' + Buffer.from(BASIC_TOKEN).toString('base64');
  const total = Math.round(rate * seconds);
  const latencies = [];
  let failures = 0;
  let sent = 0;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let settled = 0;
    let timer;
    const guard = setTimeout(
      () => finish(new Error('inbox bench: paced load overran')),
      (seconds + 10) * 1000,
    );
    const finish = (error) => {
      clearTimeout(guard);
      clearTimeout(timer);
      agent.destroy();
      if (error) return reject(error);
      if (failures > 0)
        return reject(new Error(`inbox bench: ${server.kind}: ${failures} failed requests`));
      const sorted = latencies.sort((a, b) => a - b);
      const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
      resolve({
        rps: total / ((performance.now() - started) / 1000),
        p50: at(0.5),
        p99: at(0.99),
        total,
      });
    };
    const answered = (ok, ms) => {
      if (ok) latencies.push(ms);
      else failures++;
      if (++settled === total) finish();
    };
    const send = () => {
      const body = `{"session_id":"${session}","task_id":"${tag}-${++sent}","topic":"task_completion"}`;
      const t0 = performance.now();
      const request = http.request(
        {
          host: '127.0.0.1',
          port: server.port,
          method: 'POST',
          path: '/hook',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': body.length,
            authorization,
          },
        },
        (response) => {
          response.resume();
          response.on('end', () => answered(response.statusCode === 200, performance.now() - t0));
          response.on('error', () => answered(false, 0));
        },
      );
      request.setTimeout(10_000, () => request.destroy());
      request.on('error', () => answered(false, 0));
      request.end(body);
    };
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
      while (sent < due) send();
      if (sent < total) timer = setTimeout(tick, 1);
    };
    tick();
  });
}

/** The fixed-rate load of the latency figures, with the suite's duration and connections. */
const pacedSettings = (ctx) => ({
  load: paced,
  seconds: ctx.seconds,
  connections: ctx.connections,
  rate: RATE,
});

/** Both servers loaded at once, `rounds` times, the first started alternating. */
async function alternate(ctx, label, a, b, settings) {
  await Promise.all([a, b].map((server) => settings.load(server, { ...settings, seconds: 1 })));
  const rounds = [];
  for (let round = 0; round < ctx.rounds; round++) {
    const order = round % 2 === 0 ? [a, b] : [b, a];
    const results = await Promise.all(order.map((server) => settings.load(server, settings)));
    const got = Object.fromEntries(order.map((server, i) => [server.kind, results[i]]));
    rounds.push({ a: got[a.kind], b: got[b.kind] });
    const show = (kind) =>
      `${kind} ${Math.round(got[kind].rps)} req/s p50 ${got[kind].p50.toFixed(2)} ms p99 ${got[kind].p99.toFixed(2)} ms`;
    ctx.log(`  ${label} round ${round + 1}: ${show(a.kind)}; ${show(b.kind)}`);
  }
  return rounds;
}

/**
 * The pg-boss inbox beside BullMQ's, for information (no bar), on the Postgres server of
 * DATABASE_URL: its acknowledgement p99 against the chain answering at once, and its receiver
 * throughput against enqueue(BullMQInbox). Skipped, with a line, without DATABASE_URL.
 */
async function pgBossFigures(ctx, config, launch, inline, bullmq, figure) {
  if (!process.env.DATABASE_URL) {
    ctx.log(
      '  pg-boss figures skipped: DATABASE_URL is not set (bash scripts/postgres-server.sh start)',
    );
    return [];
  }
  const pgConfig = { ...config, databaseUrl: process.env.DATABASE_URL };
  await launch('pgboss-worker', pgConfig);
  const pgboss = await launch('pgboss-inbox', pgConfig);
  ctx.log(`  pg-boss: acknowledgement latency at ${RATE} req/s each, and throughput vs BullMQ`);
  const latency = await alternate(ctx, 'pg-boss latency', pgboss, inline, pacedSettings(ctx));
  const throughput = await alternate(ctx, 'pg-boss throughput', pgboss, bullmq, {
    load,
    seconds: ctx.seconds,
    connections: ctx.connections,
  });
  await pgboss.stop();
  return [
    figure(
      `enqueue(PgBossInbox) ack p99 (${HANDLER_MS / 1000} s handler) vs answering at once, ${RATE} req/s`,
      latency.map((r) => r.a.p99 / Math.max(r.b.p99, 0.001)),
      { direction: 'max', informational: true },
    ),
    figure(
      'enqueue(PgBossInbox) vs enqueue(BullMQInbox), throughput',
      throughput.map((r) => r.a.rps / r.b.rps),
      { direction: 'min', informational: true },
    ),
  ];
}

async function run(ctx) {
  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    throw new Error(
      'inbox bench: REDIS_URL is not set; bash scripts/redis-server.sh start, then REDIS_URL=redis://127.0.0.1:6390 npm run bench',
    );
  }
  if (!(await redisAnswers(redisUrl))) {
    throw new Error(`inbox bench: Redis does not answer at ${redisUrl}`);
  }
  if (!fs.existsSync(path.join(ROOT, 'dist', 'bullmq', 'index.js'))) {
    throw new Error('inbox bench: dist/ is missing; run npm run build first');
  }
  const persistence = await redisPersistence(redisUrl);
  ctx.log(`  Redis at ${redisUrl}: ${persistence}`);
  const config = {
    redisUrl,
    queueName: `bench-inbox-${randomUUID()}`,
    prefix: `bench:inbox:${randomUUID()}:`,
    basicToken: BASIC_TOKEN,
    handlerMs: HANDLER_MS,
    concurrency: 64,
  };
  const started = [];
  const launch = async (kind, serverConfig = config) => {
    const server = await start(kind, serverConfig);
    started.push(server);
    return server;
  };
  try {
    await launch('worker');
    const inbox = await launch('inbox');
    const inline = await launch('inline');
    ctx.log(
      `  acknowledgement latency at ${RATE} req/s each: enqueue(BullMQInbox) with a ${HANDLER_MS} ms ` +
        'handler in a worker process vs the same chain answering at once',
    );
    const figure = (name, values, extra) => ({
      name,
      ratio: ctx.median(values),
      median: ctx.median(values),
      spread: ctx.spread(values),
      ...extra,
    });
    const latency = await alternate(ctx, 'latency', inbox, inline, pacedSettings(ctx));
    const roundTripServer = await launch('redis-set');
    ctx.log(`  a Redis round trip alone at ${RATE} req/s each: one SET vs answering at once`);
    const roundTrip = await alternate(
      ctx,
      'round trip',
      roundTripServer,
      inline,
      pacedSettings(ctx),
    );
    await roundTripServer.stop();
    const dedup = await launch('dedup');
    ctx.log(
      `  receiver throughput at ${ctx.connections} connections each: enqueue(BullMQInbox) vs deduplicate(RedisStore)`,
    );
    const throughput = await alternate(ctx, 'throughput', inbox, dedup, {
      load,
      seconds: ctx.seconds,
      connections: ctx.connections,
    });
    const pgBoss = await pgBossFigures(ctx, config, launch, inline, inbox, figure);
    await inline.stop();
    return [
      figure(
        `inbox ack p99 (${HANDLER_MS / 1000} s handler) vs answering at once, ${RATE} req/s`,
        latency.map((r) => r.a.p99 / Math.max(r.b.p99, 0.001)),
        { bar: 2, direction: 'max', redis: persistence, rounds: latency },
      ),
      figure(
        `inbox ack p50 (${HANDLER_MS / 1000} s handler) vs answering at once, ${RATE} req/s`,
        latency.map((r) => r.a.p50 / Math.max(r.b.p50, 0.001)),
        { direction: 'max', informational: true },
      ),
      figure(
        `one Redis SET on the same chain: ack p99 vs answering at once, ${RATE} req/s`,
        roundTrip.map((r) => r.a.p99 / Math.max(r.b.p99, 0.001)),
        { direction: 'max', informational: true, redis: persistence, rounds: roundTrip },
      ),
      figure(
        'enqueue(BullMQInbox) vs deduplicate(RedisStore), throughput',
        throughput.map((r) => r.a.rps / r.b.rps),
        { bar: 0.8, direction: 'min', redis: persistence, rounds: throughput },
      ),
      ...pgBoss,
    ];
  } finally {
    await Promise.all(started.map((server) => server.stop()));
    // Leave nothing behind in Redis: the jobs of this run go with their queue.
    const { Redis } = require('ioredis');
    const { Queue } = require('bullmq');
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    connection.on('error', () => undefined);
    const queue = new Queue(config.queueName, { connection });
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    connection.disconnect();
  }
}

module.exports = { run };
