// SPEC §2.2, as observed against the package before the rule: 600 replays of one genuine
// notification with a padded `id` ran a de-duplicated handler 600 more times and kept ~180 KB
// per replay. Now each is refused before the store, so neither the heap nor Redis grows.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { fixture } from '../support/sign-age-verification';
import { REDIS_URL, describeWithRedis } from '../dedup/redis-env';

const run = promisify(execFile);
const SCRIPT = path.join(__dirname, '../support/servers/padded-replay.js');

/** The stated bounds: what 600 refused 60 KB requests may leave behind, at most. */
const HEAP_BOUND = 8 * 1024 * 1024;
const REDIS_BOUND = 256 * 1024;

interface Outcome {
  handled: number;
  statuses: Record<string, number>;
  heapGrowth: number;
  usedMemoryGrowth: number;
}

async function replay(redisUrl?: string): Promise<Outcome> {
  const config = {
    privateKey: fixture('rsa-2048-private.pem'),
    publicKey: fixture('rsa-2048-public.pem'),
    ...(redisUrl !== undefined && { redisUrl }),
  };
  const { stdout } = await run(process.execPath, ['--expose-gc', SCRIPT], {
    env: { ...process.env, PADDED_REPLAY_CONFIG: JSON.stringify(config) },
    timeout: 60_000,
    maxBuffer: 1024 * 1024,
  });
  return JSON.parse(stdout) as Outcome;
}

test('MemoryStore: the handler runs once, every padded replay is refused, the heap stays flat', async () => {
  const outcome = await replay();
  expect(outcome.handled).toBe(1);
  expect(outcome.statuses).toEqual({ 200: 1, 401: 600 });
  expect(outcome.heapGrowth).toBeLessThan(HEAP_BOUND);
}, 90_000);

describeWithRedis('RedisStore', () => {
  test('the handler runs once and used_memory stays flat', async () => {
    const outcome = await replay(REDIS_URL);
    expect(outcome.handled).toBe(1);
    expect(outcome.statuses).toEqual({ 200: 1, 401: 600 });
    expect(outcome.usedMemoryGrowth).toBeLessThan(REDIS_BOUND);
  }, 90_000);
});
