// Jest's globalSetup: one line, before any test file runs, naming the suites that need Redis
// (or a Postgres server) when it is not there (each test file then skips them silently);
// nothing when it is.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { HOW_TO, REDIS_SERVER_MISSING, REDIS_UNAVAILABLE } from '../dedup/redis-env';
import { POSTGRES_HOW_TO, POSTGRES_UNAVAILABLE } from './postgres-env';

const ROOT = join(__dirname, '..');

function suitesCalling(call: string, dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return suitesCalling(call, path);
    if (!entry.name.endsWith('.test.ts')) return [];
    return readFileSync(path, 'utf8').includes(call) ? [relative(ROOT, path)] : [];
  });
}

export default function redisNotice(): void {
  if (process.env.CI === 'true') return; // under CI a missing Redis fails instead
  const skipped = [
    ...(REDIS_UNAVAILABLE === undefined ? [] : suitesCalling('describeWithRedis(')),
    ...(REDIS_SERVER_MISSING === undefined ? [] : suitesCalling('describeWithRedisServer(')),
  ];
  if (POSTGRES_UNAVAILABLE !== undefined) {
    const postgres = suitesCalling('describeWithPostgres(');
    if (postgres.length > 0) {
      process.stdout.write(
        `\nSkipping the Postgres server suites in ${postgres.sort().join(', ')} (${POSTGRES_UNAVAILABLE}); ${POSTGRES_HOW_TO}\n`,
      );
    }
  }
  if (skipped.length === 0) return;
  const why = [REDIS_UNAVAILABLE, REDIS_SERVER_MISSING].filter(Boolean).join(', ');
  process.stdout.write(
    `\nSkipping the Redis suites in ${[...new Set(skipped)].sort().join(', ')} (${why}); ${HOW_TO}\n`,
  );
}
