import fc from 'fast-check';
import { MemoryStore } from '../../lib';
import type { ClaimResult } from '../../lib';

// MemoryStore against a model written the plain way: records in an array in write order,
// scanned from the front. Generated sequences of claims, completions, releases, clears, clock
// steps and bursts of claims and releases of one key, on a few keys and a small bound, so that
// eviction, sweeping and the compaction of the store's write log all happen often.

const SEED =
  process.env.FC_SEED === undefined
    ? Date.now() ^ (Math.random() * 2 ** 31)
    : Number(process.env.FC_SEED);

interface ModelRecord {
  key: string;
  token: string | undefined;
  expiresAt: number;
}

class Model {
  records: ModelRecord[] = [];
  constructor(readonly maxEntries: number) {}

  claim(key: string, token: string, leaseMs: number, now: number): ClaimResult {
    const live = this.live(key, now);
    if (live !== undefined) {
      return live.token === undefined
        ? { state: 'done' }
        : { state: 'in-progress', expiresInMs: live.expiresAt - now };
    }
    this.write({ key, token, expiresAt: now + leaseMs }, now);
    return { state: 'claimed' };
  }

  complete(key: string, token: string, retentionMs: number, now: number): boolean {
    if (this.live(key, now)?.token !== token) return false;
    this.write({ key, token: undefined, expiresAt: now + retentionMs }, now);
    return true;
  }

  release(key: string, token: string, now: number): boolean {
    if (this.live(key, now)?.token !== token) return false;
    this.records = this.records.filter((r) => r.key !== key);
    return true;
  }

  private live(key: string, now: number): ModelRecord | undefined {
    const record = this.records.find((r) => r.key === key);
    if (record === undefined || record.expiresAt > now) return record;
    this.records = this.records.filter((r) => r !== record);
    return undefined;
  }

  private write(record: ModelRecord, now: number): void {
    this.records = this.records.filter((r) => r.key !== record.key);
    this.records.push(record);
    let swept = 0;
    while (this.records.length > 0) {
      if (this.records.length > this.maxEntries) this.records.shift();
      else if (swept < 2 && this.records[0]!.expiresAt <= now) {
        this.records.shift();
        swept++;
      } else break;
    }
  }
}

type Step =
  | { op: 'claim'; key: string; token: string; ms: number }
  | { op: 'complete'; key: string; token: string; ms: number }
  | { op: 'release'; key: string; token: string }
  | { op: 'tick'; ms: number }
  | { op: 'clear' }
  // A handler that keeps failing: claims and releases of one key, many in a row.
  | { op: 'burst'; key: string; token: string; ms: number; count: number };

const key = fc.integer({ min: 0, max: 40 }).map((n) => `k${n}`);
const token = fc.constantFrom('t1', 't2', 't3');
// 0 too: a record written already expired, so that a write can leave the store empty.
const ms = fc.integer({ min: 0, max: 50 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('claim' as const), key, token, ms }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('complete' as const), key, token, ms }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('release' as const), key, token }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('tick' as const), ms }) },
  { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('burst' as const),
      key,
      token,
      ms,
      count: fc.integer({ min: 1, max: 150 }),
    }),
  },
);

test('MemoryStore answers and holds what the plain model does, step by step', async () => {
  console.log(`memory-store-model: fast-check seed ${SEED} (replay with FC_SEED=${SEED})`);
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 30 }),
      fc.array(step, { minLength: 1, maxLength: 300, size: 'max' }),
      async (maxEntries, steps) => {
        let now = 1_000_000;
        const store = new MemoryStore({ maxEntries, now: () => now });
        const model = new Model(maxEntries);
        for (const s of steps) {
          switch (s.op) {
            case 'claim':
              expect(await store.claim(s.key, s.token, s.ms)).toEqual(
                model.claim(s.key, s.token, s.ms, now),
              );
              break;
            case 'complete':
              expect(await store.complete(s.key, s.token, s.ms)).toBe(
                model.complete(s.key, s.token, s.ms, now),
              );
              break;
            case 'release':
              expect(await store.release(s.key, s.token)).toBe(model.release(s.key, s.token, now));
              break;
            case 'tick':
              now += s.ms;
              break;
            case 'clear':
              store.clear();
              model.records = [];
              break;
            case 'burst':
              for (let i = 0; i < s.count; i++) {
                expect(await store.claim(s.key, s.token, s.ms)).toEqual(
                  model.claim(s.key, s.token, s.ms, now),
                );
                expect(await store.release(s.key, s.token)).toBe(
                  model.release(s.key, s.token, now),
                );
              }
              break;
          }
          expect(store.size).toBe(model.records.length);
        }
      },
    ),
    { seed: SEED, numRuns: 50 },
  );
});
