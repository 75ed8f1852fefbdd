// RedisStore against fake clients: how it calls each client, batching and its errors.
import { RedisStore } from '../../lib';

describe('RedisStore with fake clients', () => {
  // A client whose eval records its arguments and answers each operation with `answer`.
  function fake(answer: number, extra: Record<string, unknown> = {}) {
    const calls: unknown[][] = [];
    const client = {
      ...extra,
      eval: async (...args: unknown[]) => {
        calls.push(args);
        const last = args.at(-1) as { keys?: unknown[] } | unknown;
        const count =
          typeof args[1] === 'number' ? args[1] : (last as { keys: unknown[] }).keys.length;
        return Array.from({ length: count }, () => answer);
      },
    };
    return { client, calls };
  }

  test('recognises an ioredis client and calls it with positional arguments', async () => {
    const { client, calls } = fake(-1, { status: 'ready' });
    const store = new RedisStore({ client, prefix: 'p:' });
    const [claimed, released] = await Promise.all([
      store.claim('k', 't', 1000),
      store.release('j', 'u'),
    ]);
    expect(claimed).toEqual({ state: 'claimed' });
    expect(released).toBe(false);
    expect(calls).toEqual([
      [expect.any(String), 2, 'p:k', 'p:j', 'c', 'c:t', '1000', 'r', 'c:u', '0'],
    ]);
  });

  test('calls a redis client with option objects', async () => {
    const { client, calls } = fake(1);
    const store = new RedisStore({ client });
    expect(await store.complete('k', 't', 2000)).toBe(true);
    expect(calls).toEqual([
      [expect.any(String), { keys: ['yoti:dedup:k'], arguments: ['d', 'c:t', '2000'] }],
    ]);
  });

  test('a batch refused for spanning slots (CROSSSLOT) is sent one by one, and batching stops', async () => {
    const calls: number[] = [];
    const client = {
      eval: async (_script: string, options: { keys: string[] }) => {
        calls.push(options.keys.length);
        if (options.keys.length > 1) {
          throw new Error("CROSSSLOT Keys in request don't hash to the same slot");
        }
        return [-1];
      },
    };
    const store = new RedisStore({ client });
    const results = await Promise.all([store.claim('a', 't', 1000), store.claim('b', 't', 1000)]);
    expect(results).toEqual([{ state: 'claimed' }, { state: 'claimed' }]);
    expect(store.batch).toBe(false);
    expect(calls).toEqual([2, 1, 1]);
    await Promise.all([store.claim('c', 't', 1000), store.claim('d', 't', 1000)]);
    expect(calls).toEqual([2, 1, 1, 1, 1]);
  });

  test('any other error of a batch fails each of its operations', async () => {
    const client = {
      eval: async () => {
        throw new Error('LOADING Redis is loading the dataset in memory');
      },
    };
    const store = new RedisStore({ client });
    const results = await Promise.allSettled([store.claim('a', 't', 1), store.claim('b', 't', 1)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(store.batch).toBe(true);
  });

  test('by SHA-1 first; by text only when Redis answers NOSCRIPT', async () => {
    const calls: string[] = [];
    let loaded = false;
    const client = {
      evalSha: async (sha: string, options: { keys: string[] }) => {
        calls.push(`evalSha ${sha.length}`);
        if (!loaded) throw new Error('NOSCRIPT No matching script. Please use EVAL.');
        return options.keys.map(() => -1);
      },
      eval: async (script: string, options: { keys: string[] }) => {
        calls.push(`eval ${script.includes('redis.call') ? 'script' : script}`);
        loaded = true;
        return options.keys.map(() => -1);
      },
    };
    const store = new RedisStore({ client });
    expect(await store.claim('a', 't', 1000)).toEqual({ state: 'claimed' });
    expect(await store.claim('b', 't', 1000)).toEqual({ state: 'claimed' });
    expect(calls).toEqual(['evalSha 40', 'eval script', 'evalSha 40']);
  });

  test('an EVALSHA error other than NOSCRIPT is not retried by text', async () => {
    let evals = 0;
    const client = {
      evalSha: async () => {
        throw new Error('READONLY You cannot write against a read only replica.');
      },
      eval: async () => {
        evals++;
        return [-1];
      },
    };
    await expect(new RedisStore({ client }).claim('a', 't', 1000)).rejects.toThrow(/READONLY/);
    expect(evals).toBe(0);
  });

  test("batching does not wait for faked timers (a user's test may fake them)", async () => {
    jest.useFakeTimers();
    try {
      const store = new RedisStore({ client: fake(-1).client });
      expect(await store.claim('k', 't', 1000)).toEqual({ state: 'claimed' });
    } finally {
      jest.useRealTimers();
    }
  });

  test.each<[number, unknown]>([
    [-1, { state: 'claimed' }],
    [-2, { state: 'done' }],
    [1234, { state: 'in-progress', expiresInMs: 1234 }],
    [0, { state: 'in-progress' }],
  ])('a claim answered %p is %p', async (answer, result) => {
    expect(await new RedisStore({ client: fake(answer).client }).claim('k', 't', 1000)).toEqual(
      result,
    );
  });
});
