// The inbox under process-level faults, on each engine: receivers and workers are child
// processes built from dist/ (__tests__/support/servers/inbox-*.js), the engine is built in
// one place (servers/inbox-engine.js), and workers record every run in files that the test
// reads. On BullMQ: a 2 s handler does not hold up the 200; the store restarted between the
// 200 and the worker, or stopped under load, loses nothing that was acknowledged; a worker
// killed mid-handler is replaced; and 2 receivers × 2 workers × 10,000 notifications with
// redeliveries and failures complete every key exactly once. pg-boss runs the same cases once
// dist/pg-boss is built: on DATABASE_URL's server when it is set, and the restart and outage
// cases on a private Postgres (support/own-postgres.ts) when its binaries are installed;
// otherwise they are skipped.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { simulateDelivery } from '../support/delivery-simulator';
import type { Delivery } from '../support/delivery-simulator';
import {
  completions,
  killChild,
  post,
  readRecords,
  startChild,
  stopChild,
  taskCompletion,
  until,
} from '../support/inbox-processes';
import type { Child } from '../support/inbox-processes';
import {
  closeInbox,
  createInbox,
  destroyQueue,
  engineUnavailable,
  pendingJobs,
} from '../support/servers/inbox-engine';
import type { Engine } from '../support/servers/inbox-engine';
import { failsOnFirstRun } from '../support/servers/inbox-worker';
import { describeWithRedis, describeWithRedisServer } from '../dedup/redis-env';
import { OwnRedis } from '../dedup/own-redis';
import { OwnPostgres, POSTGRES_SERVER_MISSING } from '../support/own-postgres';

/** A store server of the engine's own that a test may kill, stop and start again. */
interface PrivateServer {
  start(): Promise<void>;
  kill(): Promise<void>;
  stop(): Promise<void>;
  dispose(): Promise<void>;
  /** The environment that points createInbox() at it. */
  env(): Record<string, string>;
}

interface EngineCase {
  engine: Engine;
  /** `describe` for the cases on the engine's shared server. */
  describeShared: (name: string, body: () => void) => void;
  /** `describe` for the cases that need a private server, and how to make one. */
  describePrivate: (name: string, body: () => void) => void;
  privateServer?: () => PrivateServer;
}

const skipWhen =
  (reason: string | undefined) =>
  (name: string, body: () => void): void =>
    reason === undefined ? describe(name, body) : describe.skip(name, body);

const ENGINE_CASES: EngineCase[] = [
  {
    engine: 'bullmq',
    describeShared: (name, body) => describeWithRedis(name, body),
    describePrivate: (name, body) => describeWithRedisServer(name, body),
    privateServer: () => {
      const redis = new OwnRedis();
      return Object.assign(redis, { env: () => ({ REDIS_URL: redis.url }) });
    },
  },
  {
    engine: 'pg-boss',
    describeShared: skipWhen(engineUnavailable('pg-boss')),
    describePrivate: skipWhen(
      existsSync(path.join(__dirname, '..', '..', 'dist', 'pg-boss', 'index.js'))
        ? POSTGRES_SERVER_MISSING
        : 'dist/pg-boss is missing',
    ),
    privateServer: () => {
      const postgres = new OwnPostgres();
      return Object.assign(postgres, { env: () => ({ DATABASE_URL: postgres.url }) });
    },
  },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(ENGINE_CASES)('inbox faults: $engine', (engineCase) => {
  const { engine } = engineCase;
  let dir: string;
  const children: Child[] = [];
  let workers = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const queueName = () => `faults-${process.pid}-${randomUUID()}`;
  const receiver = async (config: Record<string, unknown>, env?: Record<string, string>) => {
    const child = await startChild('receiver', { engine, express: 5, ...config }, env);
    children.push(child);
    return child;
  };
  const worker = async (config: Record<string, unknown>, env?: Record<string, string>) => {
    const child = await startChild(
      'worker',
      { engine, recordFile: path.join(dir, `worker-${++workers}.jsonl`), ...config },
      env,
    );
    children.push(child);
    return child;
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'inbox-faults-'));
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map(stopChild));
    rmSync(dir, { recursive: true, force: true });
  });
  afterAll(() => agent.destroy());

  engineCase.describePrivate('on a private server that the test stops', () => {
    let server: PrivateServer;
    beforeEach(async () => {
      server = engineCase.privateServer!();
      await server.start();
    }, 20_000);
    afterEach(async () => {
      // The children first: they hold connections to the server.
      await Promise.all(children.splice(0).map(stopChild));
      await server.dispose();
    });

    test('the server killed and restarted between the 200 and the worker: every acknowledged notification is handled', async () => {
      const name = queueName();
      const r = await receiver({ queueName: name }, server.env());
      const session = randomUUID();
      const sent = Array.from({ length: 200 }, (_v, i) => taskCompletion(session, `t-${i}`));
      const answers = await Promise.all(sent.map(({ body }) => post(r.port, '/idv', body, agent)));
      expect(answers.map((a) => a.status)).toEqual(sent.map(() => 200));
      // SIGKILL: nothing is flushed on the way out, only what was written before each reply.
      await server.kill();
      await server.start();
      await worker({ queueName: name, concurrency: 8 }, server.env());
      await until('every notification handled', () => completions(readRecords(dir)).size === 200);
      await sleep(300);
      expect([...completions(readRecords(dir))].sort()).toEqual(
        sent.map(({ key }) => [key, 1]).sort(),
      );
    }, 60_000);

    test('the server stopped: 503 STORE_UNAVAILABLE with Retry-After, and every notification answered 200 is handled', async () => {
      const name = queueName();
      const r = await receiver(
        { queueName: name, timeoutMs: 300, retryAfterSeconds: 7 },
        server.env(),
      );
      const session = randomUUID();
      let next = 0;
      const fresh = () => taskCompletion(session, `t-${next++}`);
      const statuses = new Map<string, { body: string; status: number }>();
      const send = async (n: { key: string; body: string }) => {
        const answer = await post(r.port, '/idv', n.body, agent);
        statuses.set(n.key, { body: n.body, status: answer.status });
        return answer;
      };
      // 20 stored before the server goes. On a loaded machine a store can outlast the 300 ms
      // timeout: its 503 is the timeout doing its job, and that notification is delivered again
      // below like every other refused one.
      let stored = 0;
      for (let i = 0; i < 100 && stored < 20; i++) {
        if ((await send(fresh())).status === 200) stored++;
      }
      expect(stored).toBe(20);

      // A stream of notifications, 4 at a time, while the server goes away: whatever each one
      // got, a 200 must mean stored. Bounded: at most 400 requests, or until stopped.
      let streaming = true;
      const stream = Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let i = 0; i < 100 && streaming; i++) await send(fresh());
        }),
      );
      await sleep(200);
      await server.stop();
      // Down: each answer is a 503 that says when to come back.
      for (let i = 0; i < 5; i++) {
        const answer = await send(fresh());
        expect(answer.status).toBe(503);
        expect(JSON.parse(answer.body)).toMatchObject({ code: 'STORE_UNAVAILABLE' });
        expect(answer.headers['retry-after']).toBe('7');
      }
      streaming = false;
      await stream;

      await server.start();
      const acknowledged = [...statuses].filter(([, s]) => s.status === 200).map(([key]) => key);
      const refused = [...statuses].filter(([, s]) => s.status !== 200);
      expect(refused.length).toBeGreaterThanOrEqual(5);
      await worker({ queueName: name, concurrency: 8 }, server.env());
      await until('every acknowledged notification handled', () => {
        const done = completions(readRecords(dir));
        return acknowledged.every((key) => done.has(key));
      });
      // Yoti delivers the refused ones again: now all are stored, each handled once.
      for (const [key, { body }] of refused) {
        let status = 0;
        for (let attempt = 0; attempt < 20 && status !== 200; attempt++) {
          if (attempt > 0) await sleep(100);
          status = (await post(r.port, '/idv', body, agent)).status;
        }
        expect([key, status]).toEqual([key, 200]);
      }
      await until(
        'every notification handled',
        () => completions(readRecords(dir)).size === statuses.size,
      );
      await sleep(300);
      const done = completions(readRecords(dir));
      expect([...done.values()].every((count) => count === 1)).toBe(true);
      expect(done.size).toBe(statuses.size);
      console.log(
        `inbox ${engine}, store stopped: ${acknowledged.length} answered 200 (all handled), ` +
          `${refused.length} refused, then delivered again and handled once each`,
      );
    }, 60_000);
  });

  engineCase.describeShared('on the shared server', () => {
    // Each test's queue, removed after it, so that the shared server keeps nothing.
    const queues: string[] = [];
    const sharedQueue = () => {
      const name = queueName();
      queues.push(name);
      return name;
    };
    afterEach(async () => {
      await Promise.all(children.splice(0).map(stopChild));
      for (const name of queues.splice(0)) {
        const inbox = createInbox(engine, name);
        await destroyQueue(engine, inbox);
        await closeInbox(engine, inbox);
      }
    });

    test.each([4, 5])(
      'Express %i: with a 2 s handler the 200 comes back in < 100 ms at the median, and the handler runs once',
      async (expressMajor) => {
        const name = sharedQueue();
        const acks = 9;
        const r = await receiver({ queueName: name, express: expressMajor });
        await worker({ queueName: name, concurrency: acks, handlerMs: 2_000 });
        const session = randomUUID();
        const sent = Array.from({ length: acks }, (_v, i) => taskCompletion(session, `t-${i}`));
        const answers = [];
        // One after the other: each latency is the receiver's alone.
        for (const { body } of sent) answers.push(await post(r.port, '/idv', body, agent));
        // Every answer came while no handler had finished yet.
        expect(completions(readRecords(dir)).size).toBe(0);
        expect(answers.map((a) => a.status)).toEqual(sent.map(() => 200));
        const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
        const median = ms[Math.floor(ms.length / 2)]!;
        expect(median).toBeLessThan(100);
        await until(
          'every handler done',
          () => completions(readRecords(dir)).size === acks,
          20_000,
        );
        // Nothing runs twice, even after a while.
        await sleep(300);
        const records = readRecords(dir);
        expect([...completions(records)].sort()).toEqual(sent.map(({ key }) => [key, 1]).sort());
        expect(records.filter((r) => r.outcome === 'start')).toHaveLength(acks);
        console.log(
          `inbox ${engine}, Express ${expressMajor}, 2 s handler: ack median ${median.toFixed(1)} ms, ` +
            `max ${ms[ms.length - 1]!.toFixed(1)} ms`,
        );
      },
      40_000,
    );

    test('a worker killed with SIGKILL mid-handler: another worker completes the job', async () => {
      const name = sharedQueue();
      const lockMs = 1_000;
      // pg-boss gives a job its expiry when it is stored: receivers and workers alike.
      const r = await receiver({ queueName: name, lockMs });
      const doomed = await worker({ queueName: name, hang: true, announce: true, lockMs });
      const { key, body } = taskCompletion(randomUUID(), 't-killed');
      expect((await post(r.port, '/idv', body, agent)).status).toBe(200);
      await until('the first worker started the job', () =>
        doomed.messages.some((m) => m.type === 'started' && m.key === key),
      );
      await killChild(doomed);
      const started = Date.now();
      await worker({ queueName: name, lockMs });
      await until('another worker completed the job', () =>
        readRecords(dir).some((r) => r.key === key && r.outcome === 'ok'),
      );
      const records = readRecords(dir);
      expect(records.filter((r) => r.pid === doomed.child.pid).map((r) => r.outcome)).toEqual([
        'start',
      ]);
      const done = records.filter((r) => r.outcome === 'ok');
      expect(done).toEqual([expect.objectContaining({ key })]);
      expect(done[0]!.pid).not.toBe(doomed.child.pid);
      console.log(
        `inbox ${engine}: a killed worker's job completed elsewhere after ${Date.now() - started} ms`,
      );
    }, 40_000);

    test('2 receivers × 2 workers × 10,000 notifications, 20% redelivered, 5% failing once: every key completed exactly once, none lost', async () => {
      const name = sharedQueue();
      const NOTIFICATIONS = 10_000;
      const FAIL_SHARE = 0.05;
      const receivers = await Promise.all([0, 1].map(() => receiver({ queueName: name })));
      const workers = await Promise.all(
        [0, 1].map(() =>
          worker({
            queueName: name,
            concurrency: 16,
            attempts: 3,
            backoff: { delayMs: 20, maxDelayMs: 100 },
            failFirstShare: FAIL_SHARE,
          }),
        ),
      );
      const session = randomUUID();
      const deliveries: Delivery[] = [];
      for (let i = 0; i < NOTIFICATIONS; i++) {
        const { key, body } = taskCompletion(session, `t-${i}`);
        deliveries.push({ key, path: '/idv', body });
        // A redelivery right behind its original, to the other receiver: while it is waiting
        // or running at first, after completion or failure later on.
        if (i % 5 === 0) deliveries.push({ key, path: '/idv', body });
      }
      expect(deliveries.length).toBe(NOTIFICATIONS * 1.2);
      const keys = [...new Set(deliveries.map((d) => d.key))];
      const failing = keys.filter((key) => failsOnFirstRun(key, FAIL_SHARE));
      const report = await simulateDelivery({
        targets: receivers.map(({ port }) => `http://127.0.0.1:${port}`),
        deliveries,
        concurrency: 32,
        maxAttempts: 10,
        backoff: { initialMs: 20, maxMs: 500 },
        deadlineMs: 40_000,
        pickTarget: (_delivery, attempt, index) => (index + attempt - 1) % 2,
      });
      expect(report.timedOut).toBe(false);
      expect(report.outcomes.filter((outcome) => !outcome.delivered)).toEqual([]);
      await until(
        'every key completed',
        () => completions(readRecords(dir)).size === keys.length,
        40_000,
      );
      // Quiet: no job left that could still run (where the engine counts them), then the
      // workers close, and no run can happen after the count below.
      const inbox = createInbox(engine, name);
      try {
        await until('no job left', async () => ((await pendingJobs(engine, inbox)) ?? 0) === 0);
      } finally {
        await closeInbox(engine, inbox);
      }
      await sleep(500);
      await Promise.all(workers.map(stopChild));

      const records = readRecords(dir);
      const done = completions(records);
      expect(done.size).toBe(keys.length);
      expect([...done].filter(([, count]) => count !== 1)).toEqual([]);
      for (const key of keys) expect(done.get(key)).toBe(1);
      // The failures were exactly the keys that fail on their first run, each once.
      const failed = records.filter((r) => r.outcome === 'fail');
      expect(failed.map((r) => r.key).sort()).toEqual([...failing].sort());
      expect(failed.every((r) => r.attempt === 1)).toBe(true);
      const runs = records.filter((r) => r.outcome === 'start').length;
      expect(runs).toBe(keys.length + failing.length);
      const perWorker = workers.map(
        ({ child }) => records.filter((r) => r.pid === child.pid && r.outcome === 'start').length,
      );
      for (const count of perWorker) expect(count).toBeGreaterThan(keys.length / 10);
      console.log(
        `inbox ${engine}, 2 receivers × 2 workers: ${deliveries.length} deliveries of ` +
          `${keys.length} notifications in ${Math.round(report.elapsedMs)} ms, statuses ` +
          `${JSON.stringify(report.statusCounts)}; handler runs ${runs} (${failed.length} failed ` +
          `first runs, retried), per worker ${JSON.stringify(perWorker)}; each key completed once`,
      );
    }, 120_000);
  });
});
