// Throughput of the IDV chain with deduplicate(RedisStore) on loopback Redis, over the same
// chain without it. The server runs in a child process (built package, dist/); wrk (or
// autocannon) loads it from here, alternating the two routes so that drift hits both alike.
// Every request carries a fresh task_id, so each one is claimed and completed (no duplicate
// shortcut). Needs Redis: bash scripts/redis-server.sh start (REDIS_URL overrides the
// default redis://127.0.0.1:6390). The server uses the `redis` client, or `ioredis` with
// DEDUP_BENCH_CLIENT=ioredis.
//
// Three figures, from the same rounds:
// - with the bar, peak throughput: each route's best of two loads, the suite's connections
//   (16) and SATURATING_CONNECTIONS. Each request of the de-duplication route waits for two
//   Redis round trips; at 16 connections, a closed loop (a connection sends its next request
//   when the last is answered), its server sits idle while every request waits.
// - without a bar, that ratio at 16 connections, which measures that latency more than the
//   cost;
// - without a bar, the server's CPU time per request at a fixed rate, half the plain route's
//   peak in the round (autocannon's overallRate): the cost at a load that leaves it idle half
//   the time, where batches are small. As a ratio, plain over de-duplication.
// Each round logs every load's requests per second and the server's event-loop utilization
// (the share of the time it was busy), and the median latencies at 16 connections.
'use strict';
const { fork } = require('node:child_process');
const { randomUUID } = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { freshNotifications } = require('./fresh-load');

const ROOT = path.join(__dirname, '..');
const SERVER = path.join(__dirname, 'servers', 'dedup-server.js');
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

// What the server used since the last call: { utilization, cpuMicros } (see the server).
function usage(child) {
  return new Promise((resolve, reject) => {
    const done = (error, value) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(value);
    };
    const onMessage = (message) => {
      if (message && message.type === 'usage') done(undefined, message);
    };
    const onExit = (code) => done(new Error(`deduplicate bench: the server exited with ${code}`));
    const timer = setTimeout(
      () => done(new Error('deduplicate bench: the server did not report its usage')),
      10_000,
    );
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send({ type: 'usage' });
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

function load(port, pathName, seconds, connections, rate) {
  return freshNotifications({
    port,
    path: pathName,
    basicToken: BASIC_TOKEN,
    seconds,
    connections,
    rate,
  });
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
  const measure = async (side, level, rate) => {
    await usage(child);
    const result = await load(port, side, seconds, level, rate);
    const used = await usage(child);
    if (result.non2xx > 0 || result.errors > 0) {
      throw new Error(
        `deduplicate bench: ${side} at ${level} connections answered ${result.non2xx} non-2xx, ${result.errors} errors`,
      );
    }
    return { ...result, busy: used.utilization, cpuPerRequest: used.cpuMicros / result.total };
  };
  try {
    // Warm-up: JIT, connection pools, Redis scripts cached.
    for (const level of levels) {
      await load(port, '/dedup', 1, level);
      await load(port, '/plain', 1, level);
    }
    const measured = [];
    for (let round = 0; round < rounds; round++) {
      // Alternate which side goes first, and (every other pair of rounds) which load, so that
      // neither always runs warmer.
      const sides = round % 2 === 0 ? ['/dedup', '/plain'] : ['/plain', '/dedup'];
      const loads = Math.floor(round / 2) % 2 === 0 ? levels : [...levels].reverse();
      const at = { '/dedup': {}, '/plain': {} };
      for (const level of loads) {
        for (const side of sides) at[side][level] = await measure(side, level);
      }
      const peakOf = (side) => Math.max(...levels.map((level) => at[side][level].rps));
      const rate = Math.round(peakOf('/plain') / 2);
      const paced = {};
      for (const side of sides) paced[side] = await measure(side, SATURATING_CONNECTIONS, rate);
      const result = {
        peak: peakOf('/dedup') / peakOf('/plain'),
        closed: at['/dedup'][connections].rps / at['/plain'][connections].rps,
        cpu: paced['/plain'].cpuPerRequest / paced['/dedup'].cpuPerRequest,
        rate,
        loads: Object.fromEntries(
          ['/dedup', '/plain'].map((side) => [
            side,
            {
              ...Object.fromEntries(
                levels.map((level) => {
                  const { rps, busy, p50, p99 } = at[side][level];
                  return [`${level} connections`, { rps, busy, p50, p99 }];
                }),
              ),
              [`${rate} req/s`]: {
                cpuPerRequest: paced[side].cpuPerRequest,
                busy: paced[side].busy,
              },
            },
          ]),
        ),
      };
      measured.push(result);
      const describe = (side) =>
        levels
          .map((level) => {
            const { rps, busy } = at[side][level];
            return `${Math.round(rps)} (${level}, ${busy.toFixed(2)})`;
          })
          .join(', ');
      const low = (side) => at[side][connections];
      log(
        `  round ${round + 1}: req/s (connections, server busy): dedup ${describe('/dedup')}; ` +
          `plain ${describe('/plain')}; p50 at ${connections}: dedup ${low('/dedup').p50.toFixed(2)} ms, ` +
          `plain ${low('/plain').p50.toFixed(2)} ms; CPU/request at ${rate} req/s: ` +
          `dedup ${paced['/dedup'].cpuPerRequest.toFixed(1)} µs, plain ${paced['/plain'].cpuPerRequest.toFixed(1)} µs; ` +
          `ratios: peak ${result.peak.toFixed(3)}, at ${connections} ${result.closed.toFixed(3)}, CPU ${result.cpu.toFixed(3)}`,
      );
    }
    const figure = (name, values, extra) => ({
      name,
      ratio: median(values),
      direction: 'min',
      median: median(values),
      spread: Math.max(...values) - Math.min(...values),
      ...extra,
    });
    const figures = [
      figure(
        `deduplicate (Redis) vs no dedup, peak (${levels.join('/')} conn.)`,
        measured.map((r) => r.peak),
        { bar: 0.85, rounds: measured },
      ),
    ];
    if (levels.length > 1) {
      figures.push(
        figure(
          `deduplicate (Redis) vs no dedup at ${connections} conn. (latency)`,
          measured.map((r) => r.closed),
          { informational: true },
        ),
      );
    }
    figures.push(
      figure(
        'deduplicate (Redis) vs no dedup, CPU/request at half load',
        measured.map((r) => r.cpu),
        { informational: true },
      ),
    );
    return figures;
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
