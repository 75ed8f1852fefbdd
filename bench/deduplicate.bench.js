// Throughput of the IDV chain with deduplicate(RedisStore) on loopback Redis, over the same
// chain without it. The server runs in a child process (built package, dist/); wrk (or
// autocannon) loads it from here, alternating the two routes so that drift hits both alike.
// Every request carries a fresh task_id, so each one is claimed and completed (no duplicate
// shortcut). Needs Redis: bash scripts/redis-server.sh start (REDIS_URL overrides the
// default redis://127.0.0.1:6390). The server uses the `redis` client, or `ioredis` with
// DEDUP_BENCH_CLIENT=ioredis.
//
// The figure with the bar compares peak throughput: each route's best over two loads, the
// suite's connections (16) and SATURATING_CONNECTIONS, measured in the same rounds. Each
// request of the de-duplication route waits for two Redis round trips, so at 16 connections
// (a closed loop: a connection sends its next request when the last is answered) its server
// sits idle while every request waits, and the ratio there measures that latency more than
// the cost; it is reported beside, without a bar. The reference gets its best load too. Each
// round logs every load's requests per second and the server's event-loop utilization (the
// share of the time it was busy), which shows where a route is held back by waiting.
'use strict';
const { fork } = require('node:child_process');
const { randomUUID } = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const autocannon = require('autocannon');
const { wrk, wrkAvailable } = require('./wrk');

const ROOT = path.join(__dirname, '..');
const SERVER = path.join(ROOT, '__tests__', 'support', 'servers', 'dedup-bench-server.js');
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6390';
const BASIC_TOKEN = 'bench:notify';
/** Connections of the second load: enough that the de-duplication route's server is busy. */
const SATURATING_CONNECTIONS = 128;

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

// The server's event-loop utilization since the last call: how much of the time it was busy.
function utilization(child) {
  return new Promise((resolve) => {
    const onMessage = (message) => {
      if (message && message.type === 'elu') {
        child.off('message', onMessage);
        resolve(message.utilization);
      }
    };
    child.on('message', onMessage);
    child.send({ type: 'elu' });
  });
}

function startServer(config) {
  const child = fork(SERVER, [], {
    env: { ...process.env, DEDUP_BENCH_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bench server did not start')), 15_000);
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    child.on('message', (message) => {
      if (message && message.type === 'listening') {
        clearTimeout(timer);
        resolve({ child, port: message.port });
      }
    });
  });
}

// Every request carries a fresh task_id: with wrk (when installed, see bench/wrk.js) from a
// counter in its script, with autocannon from setupRequest.
async function load(port, pathName, seconds, connections) {
  const session = randomUUID();
  const headers = {
    'content-type': 'application/json',
    authorization: 'Basic ' + Buffer.from(BASIC_TOKEN).toString('base64'),
  };
  const body = (n) => `{"session_id":"${session}","task_id":"t-${n}","topic":"task_completion"}`;
  if (wrkAvailable()) {
    const result = await wrk({
      port,
      path: pathName,
      headers,
      template: body('%d'),
      seconds,
      connections,
    });
    return { rps: result.rps, non2xx: result.non2xx, errors: result.errors };
  }
  let sequence = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    headers,
    requests: [
      {
        method: 'POST',
        path: pathName,
        setupRequest: (request) => {
          request.body = body(++sequence);
          return request;
        },
      },
    ],
  });
  return { rps: result.requests.mean, non2xx: result.non2xx, errors: result.errors };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * @param {{ rounds?: number, seconds?: number, connections?: number, log?: (line: string) => void }} [ctx]
 */
async function run(ctx = {}) {
  const rounds = ctx.rounds ?? 9;
  const seconds = ctx.seconds ?? 2;
  const connections = ctx.connections ?? 16;
  const log = ctx.log ?? ((line) => console.log(line));
  if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) {
    throw new Error('deduplicate bench: dist/ is missing; run npm run build first');
  }
  if (!(await redisAnswers(REDIS_URL))) {
    throw new Error(
      `deduplicate bench: Redis does not answer at ${REDIS_URL}; ` +
        'start it with: bash scripts/redis-server.sh start (or set REDIS_URL)',
    );
  }
  const { child, port } = await startServer({
    redisUrl: REDIS_URL,
    prefix: `bench:dedup:${randomUUID()}:`,
    basicToken: BASIC_TOKEN,
    client: process.env.DEDUP_BENCH_CLIENT === 'ioredis' ? 'ioredis' : 'redis',
  });
  const levels = [...new Set([connections, SATURATING_CONNECTIONS])];
  try {
    // Warm-up: JIT, connection pools, Redis scripts cached.
    for (const level of levels) {
      await load(port, '/dedup', 1, level);
      await load(port, '/plain', 1, level);
    }
    const peak = [];
    const closed = [];
    for (let round = 0; round < rounds; round++) {
      // Alternate which side goes first, so that neither always runs warmer.
      const order = round % 2 === 0 ? ['/dedup', '/plain'] : ['/plain', '/dedup'];
      const rps = { '/dedup': [], '/plain': [] };
      const busy = { '/dedup': [], '/plain': [] };
      for (const level of levels) {
        for (const side of order) {
          await utilization(child);
          const result = await load(port, side, seconds, level);
          busy[side].push(await utilization(child));
          if (result.non2xx > 0 || result.errors > 0) {
            throw new Error(
              `deduplicate bench: ${side} at ${level} connections answered ${result.non2xx} non-2xx, ${result.errors} errors`,
            );
          }
          rps[side].push(result.rps);
        }
      }
      peak.push(Math.max(...rps['/dedup']) / Math.max(...rps['/plain']));
      closed.push(rps['/dedup'][0] / rps['/plain'][0]);
      const at = (side) =>
        levels
          .map((level, i) => `${Math.round(rps[side][i])} (${level}, ${busy[side][i].toFixed(2)})`)
          .join(', ');
      log(
        `  round ${round + 1}: req/s (connections, server busy): dedup ${at('/dedup')}; plain ${at('/plain')}; ` +
          `peak ratio ${peak.at(-1).toFixed(3)}, at ${connections} ${closed.at(-1).toFixed(3)}`,
      );
    }
    const spreadOf = (values) => Math.max(...values) - Math.min(...values);
    return [
      {
        name: `deduplicate (Redis) vs no dedup, peak (${levels.join('/')} conn.)`,
        ratio: median(peak),
        bar: 0.85,
        direction: 'min',
        median: median(peak),
        spread: spreadOf(peak),
      },
      {
        name: `deduplicate (Redis) vs no dedup at ${connections} conn. (latency)`,
        ratio: median(closed),
        direction: 'min',
        median: median(closed),
        spread: spreadOf(closed),
      },
    ];
  } finally {
    await new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.disconnect();
    });
  }
}

module.exports = { run };

if (require.main === module) {
  run().then(
    (results) => console.log(JSON.stringify(results, null, 2)),
    (error) => {
      console.error(error.message);
      process.exitCode = 1;
    },
  );
}
