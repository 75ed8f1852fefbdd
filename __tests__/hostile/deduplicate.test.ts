import fc from 'fast-check';
import type { Request } from 'express';
import {
  deduplicate,
  IDV_TOPIC_ID_FIELDS,
  IDV_TOPICS,
  MemoryStore,
  parseIdvNotification,
  rawBody,
  RedisStore,
  topicRouter,
} from '../../lib';
import type { DeduplicationStore } from '../../lib';
import { connectNodeRedis, describeWithRedis, uniquePrefix } from '../dedup/redis-env';
import { announceSeed, startHarness, watchUnhandledRejections } from './harness';
import type { Harness, Reply } from './harness';

// deduplicate() under arbitrary redelivery scenarios: notifications with arbitrary ids (any
// text, separators and percent signs included), delivered in any order, several at once,
// duplicated, with handlers that fail a given number of times first. A simulated Yoti
// redelivers each delivery until it gets a 200. The oracle: every notification's handler
// succeeds exactly once (resource_update, not de-duplicated by default, once per delivery),
// it is tried exactly once more per failure, a duplicate is answered 200 without running it,
// and every answer is 200, 409 NOTIFICATION_IN_PROGRESS or the handler's own failure.

type Topic = (typeof IDV_TOPICS)[number];
const ID_FIELDS = IDV_TOPIC_ID_FIELDS as Readonly<Record<string, string | undefined>>;
const MAX_ATTEMPTS = 20;

interface Notification {
  readonly body: string;
  /** What identifies it: distinct notifications never share one. */
  readonly identity: string;
  readonly repeatable: boolean;
  /** How many times its handler fails before it succeeds. */
  readonly failures: number;
}

/** Per scenario: the store in use, and what the handlers did. */
let store: DeduplicationStore = new MemoryStore();
let attempts = new Map<string, number>();
let successes = new Map<string, number>();
let duplicates = 0;
let harness: Harness;
watchUnhandledRejections();

// The route's store delegates to the scenario's, so that every scenario starts empty.
const scenarioStore: DeduplicationStore = {
  claim: (...args) => store.claim(...args),
  complete: (...args) => store.complete(...args),
  release: (...args) => store.release(...args),
};

function handler(req: Request): void {
  const identity = (req.notification as unknown as { identity: string }).identity;
  const failures = (req.notification as unknown as { failures: number }).failures;
  const tried = (attempts.get(identity) ?? 0) + 1;
  attempts.set(identity, tried);
  if (tried <= failures) throw new Error('handler failed (on purpose)');
  successes.set(identity, (successes.get(identity) ?? 0) + 1);
}

beforeAll(async () => {
  announceSeed('hostile/deduplicate');
  const router = topicRouter();
  for (const topic of IDV_TOPICS) router.on(topic, handler);
  harness = await startHarness((app) => {
    app.post(
      '/dedup',
      rawBody(),
      parseIdvNotification(),
      deduplicate({
        store: scenarioStore,
        // Records outlive a scenario by a minute at most, in Redis too.
        retentionMs: 60_000,
        onDuplicate: () => {
          duplicates++;
        },
      }),
      router,
    );
  });
});

afterAll(async () => {
  await harness?.close();
});

/** Any text an id may hold in JSON, separators and non-ASCII included. */
const idText = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.string({ unit: fc.constantFrom('a', ':', '%', '3', 'A', '/'), minLength: 1, maxLength: 6 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }),
);

function makeNotification(session: string, topic: Topic, id: string, failures: number) {
  const idField = ID_FIELDS[topic];
  const payload: Record<string, unknown> = { session_id: session, topic };
  if (idField !== undefined) payload[idField] = id;
  const identity = JSON.stringify([session, topic, idField === undefined ? null : id]);
  return {
    body: JSON.stringify({ ...payload, identity, failures }),
    identity,
    repeatable: topic === 'resource_update',
    failures,
  };
}

const notification = fc
  .record({
    session: idText,
    topic: fc.constantFrom<Topic>(...IDV_TOPICS),
    id: idText,
    failures: fc.nat(2),
  })
  .map(({ session, topic, id, failures }) => makeNotification(session, topic, id, failures));

/** Two notifications whose fields, joined with `:` as they come, would read the same. */
const lookalikes = fc
  .record({
    a: idText,
    b: idText,
    c: idText,
    topic: fc.constantFrom<Topic>('task_completion', 'check_completion'),
  })
  .map(({ a, b, c, topic }) => [
    makeNotification(`${a}:${topic}:${b}`, topic, c, 0),
    makeNotification(a, topic, `${b}:${topic}:${c}`, 0),
  ]);

const scenario = fc
  .tuple(
    fc.uniqueArray(notification, { minLength: 1, maxLength: 6, selector: (n) => n.identity }),
    fc.option(lookalikes),
  )
  .map(([pool, pair]) => {
    const all = pair === null ? pool : [...pool, ...pair];
    return all.filter((n, i) => all.findIndex((m) => m.identity === n.identity) === i);
  })
  .chain((pool) =>
    fc.record({
      pool: fc.constant(pool),
      // Which notification each delivery carries: repeats are redeliveries and duplicates.
      deliveries: fc.array(fc.nat(pool.length - 1), { minLength: 1, maxLength: 14 }),
      // How many deliveries Yoti has in flight at once.
      concurrency: fc.integer({ min: 1, max: 4 }),
    }),
  );

/** Posts one delivery until it is answered 200, checking every answer on the way. */
async function deliver(body: string): Promise<void> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const reply: Reply = await harness.post('/dedup', { 'content-type': 'application/json' }, body);
    if (reply.status === 200) return;
    if (reply.status === 409) {
      expect(reply.code).toBe('NOTIFICATION_IN_PROGRESS');
      expect(Number(reply.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    } else if (reply.status !== 500 || reply.code !== 'UNEXPECTED') {
      throw new Error(`unexpected answer ${reply.status} ${reply.body}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`not acknowledged after ${MAX_ATTEMPTS} attempts: ${body}`);
}

interface Scenario {
  readonly pool: readonly Notification[];
  /** Index into the pool of what each delivery carries. */
  readonly deliveries: readonly number[];
  readonly concurrency: number;
}

async function runScenario(
  fresh: () => DeduplicationStore,
  { pool, deliveries, concurrency }: Scenario,
): Promise<void> {
  store = fresh();
  attempts = new Map();
  successes = new Map();
  duplicates = 0;
  const queue = [...deliveries];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        await deliver(pool[next]!.body);
      }
    }),
  );
  let expectedDuplicates = 0;
  pool.forEach((n, index) => {
    const delivered = deliveries.filter((d) => d === index).length;
    if (delivered === 0) {
      expect(successes.get(n.identity)).toBeUndefined();
      return;
    }
    if (n.repeatable) {
      // Not de-duplicated: each delivery is handled, its failures retried.
      expect([n.identity, successes.get(n.identity)]).toEqual([n.identity, delivered]);
      return;
    }
    expect([n.identity, successes.get(n.identity)]).toEqual([n.identity, 1]);
    expect([n.identity, attempts.get(n.identity)]).toEqual([n.identity, n.failures + 1]);
    expectedDuplicates += delivered - 1;
  });
  expect(duplicates).toBe(expectedDuplicates);
}

test('MemoryStore: each notification is handled exactly once, whatever the ids and the order', async () => {
  await fc.assert(
    fc.asyncProperty(scenario, (s) => runScenario(() => new MemoryStore(), s)),
    { numRuns: 150 },
  );
});

describeWithRedis('RedisStore on a real Redis', () => {
  let client: Awaited<ReturnType<typeof connectNodeRedis>>;
  beforeAll(async () => {
    client = await connectNodeRedis();
  });
  afterAll(() => client.quit());

  test('each notification is handled exactly once, whatever the ids and the order', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, (s) =>
        runScenario(() => new RedisStore({ client, prefix: uniquePrefix('hostile-dedup') }), s),
      ),
      { numRuns: 100 },
    );
  });
});
