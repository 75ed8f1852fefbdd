// Several app instances (child processes running the built package) share one Redis and
// receive 10,000 notifications, a fifth of them delivered twice at once to different
// instances, with handlers failing at random. Every notification must be handled
// successfully exactly once across instances, and none lost.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { simulateDelivery } from '../support/delivery-simulator';
import type { Delivery } from '../support/delivery-simulator';
import { connectNodeRedis, describeWithRedis, REDIS_URL, uniquePrefix } from './redis-env';

const SERVER = path.join(__dirname, '..', 'support', 'servers', 'dedup-server.js');
const DIST = path.join(__dirname, '..', '..', 'dist', 'index.js');
const NOTIFICATIONS = 10_000;
const DUPLICATE_SHARE = 0.2;
const BASIC_TOKEN = 'yoti:notify';

interface Instance {
  child: ChildProcess;
  port: number;
}

interface Stats {
  completed: number;
  failed: number;
  duplicates: number;
  requests: number;
}

function startInstance(config: Record<string, unknown>): Promise<Instance> {
  const child = fork(SERVER, [], {
    env: { ...process.env, DEDUP_SERVER_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('instance did not start within 15 s')), 15_000);
    child.once('exit', (code) => reject(new Error(`instance exited with ${code}`)));
    child.on('message', (message: { type?: string; port?: number }) => {
      if (message.type === 'listening') {
        clearTimeout(timer);
        resolve({ child, port: message.port! });
      }
    });
  });
}

function stats(instance: Instance): Promise<Stats> {
  return new Promise((resolve) => {
    const listener = (message: Stats & { type?: string }) => {
      if (message.type !== 'stats') return;
      instance.child.off('message', listener);
      resolve(message);
    };
    instance.child.on('message', listener);
    instance.child.send({ type: 'stats' });
  });
}

describeWithRedis('deduplicate() across app instances sharing Redis', () => {
  const instances: Instance[] = [];
  const prefix = uniquePrefix('multi');
  const countsKey = prefix + 'completions';

  beforeAll(async () => {
    if (!existsSync(DIST)) throw new Error('dist/ is missing: run npm run build (npm test does)');
    const started = await Promise.all(
      (['redis', 'ioredis'] as const).map((client, i) =>
        startInstance({
          redisUrl: REDIS_URL,
          client,
          prefix,
          countsKey,
          basicToken: BASIC_TOKEN,
          failureRate: 0.05,
          seed: 1000 + i,
        }),
      ),
    );
    instances.push(...started);
  }, 30_000);

  afterAll(async () => {
    await Promise.all(
      instances.map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.disconnect();
          }),
      ),
    );
    const client = await connectNodeRedis();
    await client.del(countsKey);
    await client.quit();
  });

  test('every notification completes exactly once, none lost', async () => {
    const authorization = 'Basic ' + Buffer.from(BASIC_TOKEN).toString('base64');
    const deliveries: Delivery[] = [];
    const sessionId = randomUUID();
    for (let i = 0; i < NOTIFICATIONS; i++) {
      const taskId = randomUUID();
      const delivery: Delivery = {
        key: taskId,
        path: '/idv',
        body: JSON.stringify({ session_id: sessionId, task_id: taskId, topic: 'task_completion' }),
        headers: { authorization },
      };
      deliveries.push(delivery);
      // The duplicate right behind its original: both are in flight at once.
      if (i % Math.round(1 / DUPLICATE_SHARE) === 0) deliveries.push({ ...delivery });
    }
    const duplicated = deliveries.length - NOTIFICATIONS;
    expect(duplicated).toBe(NOTIFICATIONS * DUPLICATE_SHARE);

    const targets = instances.map(({ port }) => `http://127.0.0.1:${port}`);
    const report = await simulateDelivery({
      targets,
      deliveries,
      concurrency: 64,
      maxAttempts: 40,
      backoff: { initialMs: 5, maxMs: 400 },
      deadlineMs: 80_000,
      // Consecutive deliveries, hence each original and its duplicate, go to different
      // instances; a redelivery goes to the next one.
      pickTarget: (_delivery, attempt, index) => (index + attempt - 1) % targets.length,
    });

    const client = await connectNodeRedis();
    const counts = await client.hGetAll(countsKey);
    await client.quit();
    const perInstance = await Promise.all(instances.map(stats));

    expect(report.timedOut).toBe(false);
    expect(report.outcomes.filter((outcome) => !outcome.delivered)).toEqual([]);
    const keys = new Set(deliveries.map((delivery) => delivery.key));
    expect(Object.keys(counts)).toHaveLength(keys.size);
    const notOnce = Object.entries(counts).filter(([, count]) => count !== '1');
    expect(notOnce).toEqual([]);
    for (const key of keys) expect(counts[key]).toBe('1');

    const total = (field: keyof Stats) => perInstance.reduce((sum, s) => sum + s[field], 0);
    expect(total('completed')).toBe(NOTIFICATIONS);
    // The paths under test were all taken: failures redelivered, duplicates refused while
    // in progress, duplicates acknowledged once done, and every instance did its share.
    expect(total('failed')).toBeGreaterThan(0);
    expect(report.statusCounts['500']).toBe(total('failed'));
    expect(report.statusCounts['409']).toBeGreaterThan(0);
    expect(total('duplicates')).toBeGreaterThan(0);
    for (const s of perInstance) expect(s.completed).toBeGreaterThan(NOTIFICATIONS / 10);
    console.log(
      `multi-instance: ${deliveries.length} deliveries in ${Math.round(report.elapsedMs)} ms, ` +
        `statuses ${JSON.stringify(report.statusCounts)}, per instance ` +
        JSON.stringify(
          perInstance.map(({ completed, failed, duplicates }) => ({
            completed,
            failed,
            duplicates,
          })),
        ),
    );
  }, 100_000);
});
