import { ClaimProtocol } from '../../lib/core/claim-protocol';
import type { SettleFailure } from '../../lib/core/claim-protocol';
import { MemoryStore } from '../../lib';
import type { DeduplicationStore } from '../../lib';

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
