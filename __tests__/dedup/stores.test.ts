// One suite of store semantics, run against MemoryStore and against RedisStore on a real
// Redis through both supported clients. MemoryStore's clock is moved by the tests; Redis
// keeps its own, so there leases are tens of milliseconds and expiry is waited for.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { MemoryStore, RedisStore } from '../../lib';
import { MAX_REDIS_BATCH } from '../../lib/core/redis-store';
import type { DeduplicationStore, RedisClientLike } from '../../lib';
import { connectIoredis, connectNodeRedis, describeWithRedis, uniquePrefix } from './redis-env';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const LONG = 60_000;
const SHORT = 40;

interface Factory {
  create(): Promise<DeduplicationStore>;
  /** Lets `ms` pass for the store. */
  advance(ms: number): Promise<unknown>;
  close(): Promise<void>;
}

const memory = (): Factory => {
  let now = 1_000_000;
  return {
    create: async () => new MemoryStore({ now: () => now }),
    advance: async (ms) => {
      now += ms;
    },
    close: async () => undefined,
  };
};

const nodeRedis = (): Factory => {
  let client: Awaited<ReturnType<typeof connectNodeRedis>> | undefined;
  return {
    async create() {
      client ??= await connectNodeRedis();
      return new RedisStore({ client, prefix: uniquePrefix('stores-redis') });
    },
    advance: sleep,
    async close() {
      await client?.quit();
    },
  };
};

const ioredis = (): Factory => {
  let client: Awaited<ReturnType<typeof connectIoredis>> | undefined;
  return {
    async create() {
      client ??= await connectIoredis();
      return new RedisStore({ client, prefix: uniquePrefix('stores-ioredis') });
    },
    advance: sleep,
    async close() {
      await client?.quit();
    },
  };
};

function storeSuite(factory: Factory): void {
  let store: DeduplicationStore;
  beforeAll(async () => {
    store = await factory.create();
  });
  afterAll(() => factory.close());
  const key = () => 'k:' + randomUUID();

  test('a free key is claimed; a second claim finds it in progress', async () => {
    const k = key();
    expect(await store.claim(k, 't1', LONG)).toEqual({ state: 'claimed' });
    const second = await store.claim(k, 't2', LONG);
    expect(second.state).toBe('in-progress');
    const left = (second as { expiresInMs?: number }).expiresInMs;
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(LONG);
  });

  test('a completed claim is done, for any later claim', async () => {
    const k = key();
    await store.claim(k, 't1', LONG);
    expect(await store.complete(k, 't1', LONG)).toBe(true);
    expect(await store.claim(k, 't2', LONG)).toEqual({ state: 'done' });
    expect(await store.claim(k, 't1', LONG)).toEqual({ state: 'done' });
  });

  test('a released claim can be claimed again', async () => {
    const k = key();
    await store.claim(k, 't1', LONG);
    expect(await store.release(k, 't1')).toBe(true);
    expect(await store.claim(k, 't2', LONG)).toEqual({ state: 'claimed' });
  });

  test('complete and release are fenced by the token', async () => {
    const k = key();
    await store.claim(k, 'mine', LONG);
    expect(await store.complete(k, 'other', LONG)).toBe(false);
    expect(await store.release(k, 'other')).toBe(false);
    expect((await store.claim(k, 'third', LONG)).state).toBe('in-progress');
    expect(await store.complete(k, 'mine', LONG)).toBe(true);
  });

  test('nothing to complete or release on a key never claimed', async () => {
    const k = key();
    expect(await store.complete(k, 't', LONG)).toBe(false);
    expect(await store.release(k, 't')).toBe(false);
    expect(await store.claim(k, 't', LONG)).toEqual({ state: 'claimed' });
  });

  test('a done key can be neither completed again nor released', async () => {
    const k = key();
    await store.claim(k, 't1', LONG);
    await store.complete(k, 't1', LONG);
    expect(await store.complete(k, 't1', LONG)).toBe(false);
    expect(await store.release(k, 't1')).toBe(false);
    expect(await store.claim(k, 't2', LONG)).toEqual({ state: 'done' });
  });

  test('an expired lease frees the key; the old token can touch neither the new claim nor its completion', async () => {
    const k = key();
    await store.claim(k, 'crashed', SHORT);
    await factory.advance(SHORT * 3);
    expect(await store.claim(k, 'next', LONG)).toEqual({ state: 'claimed' });
    expect(await store.release(k, 'crashed')).toBe(false);
    expect(await store.complete(k, 'crashed', LONG)).toBe(false);
    expect((await store.claim(k, 'third', LONG)).state).toBe('in-progress');
    expect(await store.complete(k, 'next', LONG)).toBe(true);
    expect(await store.release(k, 'crashed')).toBe(false);
    expect(await store.claim(k, 'fourth', LONG)).toEqual({ state: 'done' });
  });

  test('an expired lease cannot be completed late', async () => {
    const k = key();
    await store.claim(k, 'slow', SHORT);
    await factory.advance(SHORT * 3);
    expect(await store.complete(k, 'slow', LONG)).toBe(false);
    expect(await store.claim(k, 'next', LONG)).toEqual({ state: 'claimed' });
  });

  test('a completion is forgotten after its retention period', async () => {
    const k = key();
    await store.claim(k, 't1', LONG);
    await store.complete(k, 't1', SHORT);
    expect(await store.claim(k, 't2', LONG)).toEqual({ state: 'done' });
    await factory.advance(SHORT * 3);
    expect(await store.claim(k, 't3', LONG)).toEqual({ state: 'claimed' });
  });

  test('of concurrent claims on one key exactly one wins', async () => {
    const k = key();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_unused, i) => store.claim(k, `t${i}`, LONG)),
    );
    expect(results.filter((r) => r.state === 'claimed')).toHaveLength(1);
    expect(results.filter((r) => r.state === 'in-progress')).toHaveLength(49);
  });

  test('keys are independent', async () => {
    const a = key();
    const b = key();
    await store.claim(a, 't', LONG);
    await store.complete(a, 't', LONG);
    expect(await store.claim(b, 't', LONG)).toEqual({ state: 'claimed' });
  });
}

const REDIS_FACTORIES: Array<[string, () => Factory]> = [
  ['RedisStore with a redis client', nodeRedis],
  ['RedisStore with an ioredis client', ioredis],
];

describe.each([['MemoryStore', memory] as [string, () => Factory]])('%s', (_name, make) =>
  storeSuite(make()),
);
describeWithRedis('RedisStore on a real Redis', () => {
  describe.each(REDIS_FACTORIES)('%s', (_name, make) => storeSuite(make()));

  test('two prefixes never share a record', async () => {
    const client = await connectNodeRedis();
    try {
      const one = new RedisStore({ client, prefix: uniquePrefix('one') });
      const two = new RedisStore({ client, prefix: uniquePrefix('two') });
      await one.claim('same', 't', LONG);
      expect(await two.claim('same', 't', LONG)).toEqual({ state: 'claimed' });
      expect(await one.complete('same', 't', LONG)).toBe(true);
      expect((await two.claim('same', 'u', LONG)).state).toBe('in-progress');
    } finally {
      await client.quit();
    }
  });

  test('records live under the prefix with Redis TTLs (lease, then retention)', async () => {
    const client = await connectIoredis();
    try {
      const prefix = uniquePrefix('ttl');
      const store = new RedisStore({ client, prefix });
      await store.claim('k', 't', 30_000);
      const leaseTtl = await client.pttl(prefix + 'k');
      expect(leaseTtl).toBeGreaterThan(0);
      expect(leaseTtl).toBeLessThanOrEqual(30_000);
      await store.complete('k', 't', 3_600_000);
      expect(await client.pttl(prefix + 'k')).toBeGreaterThan(30_000);
    } finally {
      client.disconnect();
    }
  });

  test('a key held without an expiry counts as in progress, never as claimed', async () => {
    const client = await connectNodeRedis();
    try {
      const prefix = uniquePrefix('persist');
      await client.set(prefix + 'k', 'c:someone');
      const store = new RedisStore({ client, prefix });
      expect(await store.claim('k', 't', LONG)).toEqual({ state: 'in-progress' });
      expect(await client.get(prefix + 'k')).toBe('c:someone');
    } finally {
      await client.quit();
    }
  });

  test('a claim fails (rejects) while the client is disconnected', async () => {
    const client = await connectNodeRedis();
    const store = new RedisStore({ client, prefix: uniquePrefix('closed') });
    await client.quit();
    await expect(store.claim('k', 't', LONG)).rejects.toThrow();
  });

  test('a view made with withCommandOptions (public API) is used as it is given', async () => {
    const client = await connectNodeRedis();
    try {
      const view = client.withCommandOptions({ timeout: 1_000 });
      const store = new RedisStore({ client: view, prefix: uniquePrefix('view') });
      expect(await store.claim('k', 't', LONG)).toEqual({ state: 'claimed' });
      expect(await store.complete('k', 't', LONG)).toBe(true);
    } finally {
      await client.quit();
    }
  });
});

describeWithRedis('RedisStore batching on a real Redis', () => {
  // Each client, seen through a proxy that records how many operations (keys) each eval
  // call carries, also through the views the client makes (`withCommandOptions`);
  // everything else, `status` included, is the client's own.
  interface Under {
    client: RedisClientLike;
    /** Appends an element to a Redis list (a key no record can be). */
    pushList(key: string): Promise<unknown>;
    close(): Promise<unknown>;
  }
  const clients: Array<[string, () => Promise<Under>]> = [
    [
      'redis',
      async () => {
        const client = await connectNodeRedis();
        return {
          client: client as unknown as RedisClientLike,
          pushList: (key) => client.rPush(key, 'not a record'),
          close: () => client.quit(),
        };
      },
    ],
    [
      'ioredis',
      async () => {
        const client = await connectIoredis();
        return {
          client: client as unknown as RedisClientLike,
          pushList: (key) => client.rpush(key, 'not a record'),
          close: () => client.quit(),
        };
      },
    ],
  ];

  describe.each(clients)('with the %s client', (name, connect) => {
    let under: Under;
    let sizes: number[];
    beforeAll(async () => {
      under = await connect();
    });
    afterAll(() => under.close());
    let methods: string[];
    const counted = (): RedisClientLike => {
      sizes = [];
      methods = [];
      return recording(under.client);
    };
    const recording = (client: unknown): RedisClientLike =>
      new Proxy(client as Record<string | symbol, unknown>, {
        get(target, property) {
          const value = Reflect.get(target, property) as unknown;
          if (property === 'withCommandOptions') {
            return (...args: unknown[]) =>
              recording((value as (...a: unknown[]) => unknown).apply(target, args));
          }
          if (property === 'eval' || property === 'evalSha' || property === 'evalsha') {
            return (...args: unknown[]) => {
              methods.push(property);
              const options = args[1];
              sizes.push(
                typeof options === 'number'
                  ? options
                  : (options as { keys: unknown[] }).keys.length,
              );
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            };
          }
          return typeof value === 'function' ? value.bind(target) : value;
        },
      }) as unknown as RedisClientLike;

    test('operations made in one turn of the event loop share one script call, in order', async () => {
      const store = new RedisStore({ client: counted(), prefix: uniquePrefix('batch') });
      expect(store.batch).toBe(true);
      const [first, second, completed, third] = await Promise.all([
        store.claim('a', 't1', LONG),
        store.claim('a', 't2', LONG),
        store.complete('a', 't1', LONG),
        store.claim('a', 't3', LONG),
      ]);
      expect(sizes).toEqual([4]);
      expect(first).toEqual({ state: 'claimed' });
      expect(second.state).toBe('in-progress');
      expect(completed).toBe(true);
      expect(third).toEqual({ state: 'done' });
    });

    test(`a queue longer than ${MAX_REDIS_BATCH} is split into calls of at most that many`, async () => {
      const store = new RedisStore({ client: counted(), prefix: uniquePrefix('split') });
      const results = await Promise.all(
        Array.from({ length: 2 * MAX_REDIS_BATCH + 5 }, (_unused, i) =>
          store.claim(`k${i}`, 't', LONG),
        ),
      );
      expect(sizes).toEqual([MAX_REDIS_BATCH, MAX_REDIS_BATCH, 5]);
      expect(results.every((r) => r.state === 'claimed')).toBe(true);
    });

    test("operations go by the script's SHA-1 once Redis has it", async () => {
      const store = new RedisStore({ client: counted(), prefix: uniquePrefix('sha') });
      await store.claim('a', 't', LONG);
      methods = [];
      await store.complete('a', 't', LONG);
      await store.claim('b', 't', LONG);
      const bySha = name === 'ioredis' ? 'evalsha' : 'evalSha';
      expect(methods).toEqual([bySha, bySha]);
    });

    test('batch: false sends each operation on its own', async () => {
      const store = new RedisStore({
        client: counted(),
        prefix: uniquePrefix('single'),
        batch: false,
      });
      const results = await Promise.all([
        store.claim('a', 't1', LONG),
        store.claim('b', 't1', LONG),
      ]);
      expect(sizes).toEqual([1, 1]);
      expect(results).toEqual([{ state: 'claimed' }, { state: 'claimed' }]);
    });

    test('an operation Redis refuses fails alone; the rest of its batch goes through', async () => {
      const prefix = uniquePrefix('refused');
      await under.pushList(prefix + 'list');
      const store = new RedisStore({ client: counted(), prefix });
      const [bad, good] = await Promise.allSettled([
        store.claim('list', 't', LONG),
        store.claim('free', 't', LONG),
      ]);
      expect(sizes).toEqual([2]);
      expect(bad.status).toBe('rejected');
      expect(String((bad as PromiseRejectedResult).reason)).toMatch(
        /^Error: RedisStore: Redis refused the operation: WRONGTYPE/,
      );
      expect(good).toEqual({ status: 'fulfilled', value: { state: 'claimed' } });
    });
  });
});

describe('RedisStore with a client that misbehaves', () => {
  test.each<[string, () => unknown]>([
    [
      'an eval that throws',
      () => {
        throw new Error('boom');
      },
    ],
    ['an eval that rejects', () => Promise.reject(new Error('boom'))],
    ['a reply that is not a list', () => Promise.resolve('OK')],
    ['a reply of the wrong length', () => Promise.resolve([])],
  ])('%s rejects every operation of the batch', async (_what, evaluate) => {
    const store = new RedisStore({ client: { eval: evaluate } as unknown as RedisClientLike });
    const results = await Promise.allSettled([
      store.claim('a', 't', LONG),
      store.complete('b', 't', LONG),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});

describe('MemoryStore bounds', () => {
  test('when full, the record written longest ago is evicted first', async () => {
    const store = new MemoryStore({ maxEntries: 3 });
    for (const k of ['a', 'b', 'c']) await store.claim(k, 't', LONG);
    // Rewriting `a` (completing it) makes it the newest record.
    await store.complete('a', 't', LONG);
    await store.claim('d', 't', LONG);
    expect(store.size).toBe(3);
    expect(await store.claim('b', 'u', LONG)).toEqual({ state: 'claimed' }); // b was evicted
    expect(await store.claim('a', 'u', LONG)).toEqual({ state: 'done' });
    expect((await store.claim('d', 'u', LONG)).state).toBe('in-progress');
    expect(store.size).toBe(3);
  });

  test('expired records are swept from the oldest end on writes, without timers', async () => {
    let now = 1_000_000;
    const store = new MemoryStore({ now: () => now });
    for (let i = 0; i < 4; i++) await store.claim(`old${i}`, 't', 5);
    now += 5;
    await store.claim('new1', 't', LONG);
    await store.claim('new2', 't', LONG);
    expect(store.size).toBe(2);
    store.clear();
    expect(store.size).toBe(0);
  });

  test.each([0, -1, 1.5, Number.NaN, '10'])('maxEntries %p is a TypeError', (maxEntries) => {
    expect(() => new MemoryStore({ maxEntries: maxEntries as number })).toThrow(TypeError);
  });

  test('now must be a function', () => {
    expect(() => new MemoryStore({ now: 5 as unknown as () => number })).toThrow(
      /now must be a function/,
    );
  });

  test('a handler that keeps failing (claims and releases of one key) does not grow the store', async () => {
    const store = new MemoryStore({ maxEntries: 10 });
    for (const k of ['a', 'b', 'c']) await store.claim(k, 't', LONG);
    for (let i = 0; i < 10_000; i++) {
      await store.claim('failing', 't', LONG);
      await store.release('failing', 't');
    }
    expect(store.size).toBe(3);
    // The oldest records are still the oldest: seven more fill it, an eighth evicts `a`.
    for (const k of ['d', 'e', 'f', 'g', 'h', 'i', 'j', 'k']) await store.claim(k, 't', LONG);
    expect(await store.claim('a', 'u', LONG)).toEqual({ state: 'claimed' });
    expect((await store.claim('c', 'u', LONG)).state).toBe('in-progress');
  });
});

describe('RedisStore options', () => {
  test.each<[string, unknown]>([
    ['no client', {}],
    ['a client without eval', { client: { set: async () => 'OK' } }],
    ['a non-string prefix', { client: { set: async () => 'OK', eval: async () => 0 }, prefix: 1 }],
  ])('%s is a TypeError', (_what, options) => {
    expect(() => new RedisStore(options as never)).toThrow(TypeError);
  });

  const evaluate = async () => [];
  test.each<[string, Record<string, unknown>, boolean]>([
    ['a plain client', { eval: evaluate }, true],
    ['an ioredis Cluster', { eval: evaluate, isCluster: true }, false],
    ['a redis cluster (createCluster)', { eval: evaluate, masters: [] }, false],
    [
      'a cluster with batch: true and a hash-tagged prefix',
      { eval: evaluate, isCluster: true, batch: true, prefix: '{yoti}:dedup:' },
      true,
    ],
    ['a plain client with batch: false', { eval: evaluate, batch: false }, false],
  ])('batching for %s: %p', (_what, client, batch) => {
    const { batch: option, prefix, ...rest } = client;
    const store = new RedisStore({
      client: rest as unknown as RedisClientLike,
      ...(option === undefined ? {} : { batch: option as boolean }),
      ...(prefix === undefined ? {} : { prefix: prefix as string }),
    });
    expect(store.batch).toBe(batch);
  });

  test.each([undefined, 'myapp:yoti:', 'no{}tag:'])(
    'batch: true on a cluster with prefix %p (no hash tag) is a TypeError',
    (prefix) => {
      const client = { eval: evaluate, isCluster: true } as unknown as RedisClientLike;
      expect(() => new RedisStore({ client, batch: true, ...(prefix ? { prefix } : {}) })).toThrow(
        /hash tag/,
      );
    },
  );

  test('a non-boolean batch is a TypeError', () => {
    expect(() => new RedisStore({ client: { eval: evaluate }, batch: 'yes' as never })).toThrow(
      /batch must be a boolean/,
    );
  });

  test('the package entry point loads no Redis client module', () => {
    const dist = path.join(__dirname, '..', '..', 'dist', 'index.js');
    if (!existsSync(dist)) throw new Error('dist/ is missing: run npm run build');
    const result = spawnSync(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(dist)});
         const loaded = Object.keys(require.cache).filter((f) => /node_modules[\\\\/](redis|@redis|ioredis)[\\\\/]/.test(f));
         process.stdout.write(JSON.stringify(loaded));`,
      ],
      { encoding: 'utf8' },
    );
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([]);
  });
});
