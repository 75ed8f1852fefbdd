import { ClaimProtocol } from '../../lib/core/claim-protocol';
import type { SettleFailure } from '../../lib/core/claim-protocol';
import { defaultDeduplicationKey, MemoryStore, RedisStore } from '../../lib';
import type { DeduplicationStore, Notification } from '../../lib';

describe('defaultDeduplicationKey', () => {
  const key = (fields: Record<string, unknown>) =>
    defaultDeduplicationKey(fields as unknown as Notification);

  test.each([
    [{ id: 'n-1', session_key: 's', state: 'COMPLETE' }, 'av:n-1'],
    [{ session_id: 's1', topic: 'task_completion', task_id: 't1' }, 'idv:s1:task_completion:t1'],
    [{ session_id: 's1', topic: 'check_completion', check_id: 'c1' }, 'idv:s1:check_completion:c1'],
    [{ session_id: 's1', topic: 'session_completion' }, 'idv:s1:session_completion'],
    [{ session_id: 's1', topic: 'first_branch_visit' }, 'idv:s1:first_branch_visit'],
    [{ session_id: 's1', topic: 'resource_update', resource_id: 'r1' }, undefined],
    [{ session_id: 's1', topic: 'a_future_topic', future_id: 'f1' }, undefined],
    [{ state: 'COMPLETE' }, undefined],
  ])('%j → %p', (fields, expected) => {
    expect(key(fields)).toBe(expected);
  });

  test('parts are encoded, so ids with separators never collide', () => {
    const a = key({ session_id: 's:1', topic: 'task_completion', task_id: 't' });
    const b = key({ session_id: 's', topic: 'task_completion', task_id: '1:t' });
    expect(a).not.toBe(b);
    expect(key({ id: 'a:b' })).toBe('av:a%3Ab');
  });
});

describe('ClaimProtocol', () => {
  function protocol(store: DeduplicationStore, failures: SettleFailure[] = []) {
    return new ClaimProtocol({
      store,
      leaseMs: 5_000,
      storeTimeoutMs: 100,
      onSettleFailure: (failure) => failures.push(failure),
    });
  }

  test('settling twice writes once', async () => {
    const store = new MemoryStore();
    const complete = jest.spyOn(store, 'complete');
    const claim = await protocol(store).begin('k');
    if (claim.state !== 'claimed') throw new Error('expected a claim');
    await claim.settle(true);
    await claim.settle(false);
    expect(complete).toHaveBeenCalledTimes(1);
    expect((await protocol(store).begin('k')).state).toBe('done');
  });

  test('every claim carries its own token, and settling uses that token', async () => {
    const store = new MemoryStore();
    const claim = jest.spyOn(store, 'claim');
    const complete = jest.spyOn(store, 'complete');
    const claims = await Promise.all(
      Array.from({ length: 500 }, (_u, i) => protocol(store).begin(`k${i}`)),
    );
    const tokens = claim.mock.calls.map(([, token]) => token);
    expect(new Set(tokens).size).toBe(500);
    // Random UUIDs: never guessed, never shared by another process.
    expect(tokens.every((token) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-/.test(token))).toBe(
      true,
    );
    const first = claims[0]!;
    if (first.state !== 'claimed') throw new Error('expected a claim');
    await first.settle(true);
    expect(complete).toHaveBeenCalledWith('k0', tokens[0], expect.any(Number));
  });

  test('a store whose claim throws at once is unavailable, not a crash', async () => {
    const store = new MemoryStore();
    jest.spyOn(store, 'claim').mockImplementation(() => {
      throw new Error('down');
    });
    await expect(protocol(store).begin('k')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });

  test('Retry-After falls back to retryAfterSeconds when the store does not know the lease', async () => {
    const store: DeduplicationStore = {
      claim: async () => ({ state: 'in-progress' }),
      complete: async () => true,
      release: async () => true,
    };
    const outcome = await protocol(store).begin('k');
    expect(outcome.state).toBe('in-progress');
    if (outcome.state !== 'in-progress') return;
    expect(outcome.error.code).toBe('NOTIFICATION_IN_PROGRESS');
    expect(outcome.error.status).toBe(409);
    expect(outcome.error.headers).toEqual({ 'Retry-After': '5' });
  });

  test('a release that finds the lease gone is reported as lease-lost', async () => {
    const failures: SettleFailure[] = [];
    const store = new MemoryStore();
    const claim = await protocol(store, failures).begin('k');
    store.clear();
    if (claim.state === 'claimed') await claim.settle(false);
    expect(failures).toEqual([
      { key: 'k', action: 'release', reason: 'lease-lost', willRetry: false },
    ]);
  });

  describe('background retries, on faked timers', () => {
    beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
    afterEach(() => jest.useRealTimers());

    test('a release the store failed is reported and retried in the background', async () => {
      const failures: SettleFailure[] = [];
      const memory = new MemoryStore();
      let failRelease = true;
      const store: DeduplicationStore = {
        claim: (...args) => memory.claim(...args),
        complete: (...args) => memory.complete(...args),
        release: (...args) => {
          if (!failRelease) return memory.release(...args);
          failRelease = false;
          return Promise.reject(new Error('connection reset'));
        },
      };
      const claim = await protocol(store, failures).begin('k');
      if (claim.state === 'claimed') await claim.settle(false);
      expect(failures).toEqual([
        expect.objectContaining({ action: 'release', reason: 'store-error', willRetry: true }),
      ]);
      expect((await memory.claim('k', 'other', 1000)).state).toBe('in-progress');
      await jest.advanceTimersByTimeAsync(249);
      expect((await memory.claim('k', 'other', 1000)).state).toBe('in-progress');
      await jest.advanceTimersByTimeAsync(1);
      expect((await memory.claim('k', 'other', 1000)).state).toBe('claimed');
    });

    test('a claim whose answer was lost is released once the store answers again', async () => {
      const memory = new MemoryStore();
      let down = true;
      const store: DeduplicationStore = {
        // The claim lands, but its answer never arrives.
        claim: (...args) => {
          void memory.claim(...args);
          return new Promise(() => undefined);
        },
        complete: (...args) => memory.complete(...args),
        release: (...args) => (down ? Promise.reject(new Error('down')) : memory.release(...args)),
      };
      const begun = expect(protocol(store).begin('k')).rejects.toMatchObject({
        code: 'STORE_UNAVAILABLE',
        status: 503,
      });
      await jest.advanceTimersByTimeAsync(100); // storeTimeoutMs
      await begun;
      expect((await memory.claim('k', 'other', 1000)).state).toBe('in-progress');
      down = false;
      // Released on the first retry, 250 ms after the first release failed.
      await jest.advanceTimersByTimeAsync(250);
      expect((await memory.claim('k', 'other', 1000)).state).toBe('claimed');
    });

    test('background retries stop when the lease ends', async () => {
      const memory = new MemoryStore();
      const release = jest.fn(() => Promise.reject(new Error('down')));
      const store: DeduplicationStore = {
        claim: (...args) => memory.claim(...args),
        complete: (...args) => memory.complete(...args),
        release,
      };
      const claim = await protocol(store).begin('k');
      if (claim.state === 'claimed') await claim.settle(false);
      await jest.advanceTimersByTimeAsync(60_000);
      const calls = release.mock.calls.length;
      // 250, 500, 1000, 2000 ms within the 5 s lease: five tries in all, then no more.
      expect(calls).toBe(5);
      await jest.advanceTimersByTimeAsync(60_000);
      expect(release.mock.calls.length).toBe(calls);
    });
  });

  test('a throwing onSettleFailure does not break settling', async () => {
    const store = new MemoryStore();
    const throwing = new ClaimProtocol({
      store,
      onSettleFailure: () => {
        throw new Error('logger down');
      },
    });
    const claim = await throwing.begin('k');
    store.clear();
    if (claim.state === 'claimed') await expect(claim.settle(true)).resolves.toBeUndefined();
  });
});

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
