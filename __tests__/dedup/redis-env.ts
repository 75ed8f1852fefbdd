// Whether the Redis tests can run, decided synchronously (jest collects tests before any
// hook runs): REDIS_URL must be set and answer PING. Under CI (CI=true) a missing or
// unreachable Redis fails the run; elsewhere the Redis tests are skipped with a warning.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { Redis } from 'ioredis';

/** The Redis under test, e.g. `redis://127.0.0.1:6390`. */
export const REDIS_URL = process.env.REDIS_URL;
const IN_CI = process.env.CI === 'true';
export const HOW_TO =
  'start one with: bash scripts/redis-server.sh start && REDIS_URL=redis://127.0.0.1:6390 npm test';

function probe(): string | undefined {
  if (REDIS_URL === undefined || REDIS_URL === '') return 'REDIS_URL is not set';
  const url = new URL(REDIS_URL);
  const script = `
    const socket = require('node:net').connect(${Number(url.port || 6379)}, ${JSON.stringify(url.hostname)});
    socket.setTimeout(2000, () => process.exit(2));
    socket.on('error', () => process.exit(3));
    socket.on('connect', () => socket.write('PING\\r\\n'));
    socket.on('data', (data) => process.exit(String(data).startsWith('+PONG') ? 0 : 4));`;
  const result = spawnSync(process.execPath, ['-e', script], { timeout: 5000 });
  return result.status === 0 ? undefined : `Redis at ${REDIS_URL} does not answer PING`;
}

/** Why the Redis tests cannot run here, or `undefined` when they can. */
export const REDIS_UNAVAILABLE = probe();

/**
 * `describe` when Redis is there. Otherwise: under CI, one failing test that says why;
 * elsewhere `describe.skip`, announced once per run by the global setup.
 */
export function describeWithRedis(name: string, body: () => void): void {
  describeUnless(REDIS_UNAVAILABLE, name, body);
}

function describeUnless(reason: string | undefined, name: string, body: () => void): void {
  if (reason === undefined) {
    describe(name, body);
  } else if (IN_CI) {
    describe(name, () => {
      test('needs Redis (required under CI)', () => {
        throw new Error(`${reason}; ${HOW_TO}`);
      });
    });
  } else {
    // Said once for the whole run, by __tests__/support/redis-notice.ts (Jest's globalSetup).
    describe.skip(name, body);
  }
}

/** A key prefix no other run (or test) shares. */
export function uniquePrefix(what: string): string {
  return `test:${what}:${process.pid}:${randomUUID()}:`;
}

/** A connected client of the `redis` package that fails fast while disconnected. */
export async function connectNodeRedis(url = REDIS_URL!) {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: (retries: number) => Math.min(50 * (retries + 1), 500) },
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** A connected `ioredis` client that fails fast while disconnected. */
export async function connectIoredis(url = REDIS_URL!) {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (times: number) => Math.min(50 * times, 500),
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

function probeBinary(): string | undefined {
  const result = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? undefined : 'the redis-server binary is not installed';
}

/** Why a private redis-server cannot be spawned here, or `undefined` when it can. */
export const REDIS_SERVER_MISSING = probeBinary();

/** {@link describeWithRedis} for tests that spawn their own redis-server instead. */
export function describeWithRedisServer(name: string, body: () => void): void {
  describeUnless(REDIS_SERVER_MISSING, name, body);
}
