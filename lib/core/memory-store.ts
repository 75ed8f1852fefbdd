import { storedKey } from './deduplication-store';
import type { ClaimResult, DeduplicationStore } from './deduplication-store';

/**
 * Options of {@link MemoryStore}.
 *
 * @example
 * new MemoryStore({ maxEntries: 50_000 });
 */
export interface MemoryStoreOptions {
  /**
   * Records kept at most (default 100,000). When full, the record written longest ago is
   * evicted first, done or not: size it above the notifications received in a retention
   * period, or accept that an evicted notification is handled again if it is redelivered.
   */
  maxEntries?: number;
  /** The clock, in epoch milliseconds (default `Date.now`); tests pass their own to move time. */
  now?: () => number;
}

/** Default {@link MemoryStoreOptions.maxEntries}. */
export const DEFAULT_MEMORY_STORE_MAX_ENTRIES = 100_000;

interface Entry {
  readonly key: string;
  /** The claim's token, or `undefined` once done. */
  readonly token: string | undefined;
  readonly expiresAt: number;
}

// Expired records at the oldest end dropped per write: amortised clean-up without timers.
const SWEEP_PER_WRITE = 2;
// Superseded writes the log may hold beyond the records before it is compacted.
const LOG_SLACK = 64;

/**
 * A {@link DeduplicationStore} in this process's memory, for a single app instance (and for
 * tests). Several instances need a shared store such as `RedisStore`.
 *
 * Bounded: at most `maxEntries` records, each expiring when its lease or retention period
 * ends; when full, the record written longest ago is evicted first. It runs no timers, so it
 * never keeps the process alive: expired records are dropped when touched, and a couple are
 * swept from the oldest end on every write. A write costs the same whatever the store's size
 * (amortised).
 *
 * @throws {TypeError} when `maxEntries` is not a positive integer or `now` not a function.
 * @example
 * app.post('/yoti/age', rawBody(), verifySignature(),
 *   deduplicate({ store: new MemoryStore({ maxEntries: 50_000 }) }),
 *   stateRouter().on('COMPLETE', grant));
 */
export class MemoryStore implements DeduplicationStore {
  /** The bound on records held. */
  readonly maxEntries: number;
  readonly #now: () => number;
  // The current record of each key.
  readonly #entries = new Map<string, Entry>();
  // Every write in order, oldest first from `#head`. A write that was superseded (the key
  // rewritten or deleted since) is skipped when reached; the log is compacted once such
  // writes outnumber the records, so it stays within twice the records (plus a constant).
  #log: Entry[] = [];
  #head = 0;

  constructor(options: MemoryStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? DEFAULT_MEMORY_STORE_MAX_ENTRIES;
    if (!Number.isSafeInteger(maxEntries) || maxEntries <= 0) {
      throw new TypeError('MemoryStore: maxEntries must be a positive integer');
    }
    const now = options.now ?? Date.now;
    if (typeof now !== 'function') {
      throw new TypeError('MemoryStore: now must be a function returning epoch milliseconds');
    }
    this.maxEntries = maxEntries;
    this.#now = now;
  }

  /** Records held, including expired ones not dropped yet. */
  get size(): number {
    return this.#entries.size;
  }

  /** {@inheritDoc DeduplicationStore.claim} */
  async claim(notificationKey: string, token: string, leaseMs: number): Promise<ClaimResult> {
    const key = storedKey(notificationKey);
    const now = this.#now();
    const entry = this.#live(key, now);
    if (entry !== undefined) {
      return entry.token === undefined
        ? { state: 'done' }
        : { state: 'in-progress', expiresInMs: entry.expiresAt - now };
    }
    this.#write({ key, token, expiresAt: now + leaseMs }, now);
    return { state: 'claimed' };
  }

  /** {@inheritDoc DeduplicationStore.complete} */
  async complete(notificationKey: string, token: string, retentionMs: number): Promise<boolean> {
    const key = storedKey(notificationKey);
    const now = this.#now();
    if (this.#live(key, now)?.token !== token) return false;
    this.#write({ key, token: undefined, expiresAt: now + retentionMs }, now);
    return true;
  }

  /** {@inheritDoc DeduplicationStore.release} */
  async release(notificationKey: string, token: string): Promise<boolean> {
    const key = storedKey(notificationKey);
    if (this.#live(key, this.#now())?.token !== token) return false;
    this.#entries.delete(key);
    return true;
  }

  /** Drops every record. */
  clear(): void {
    this.#entries.clear();
    this.#log = [];
    this.#head = 0;
  }

  #live(key: string, now: number): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.expiresAt > now) return entry;
    this.#entries.delete(key);
    return undefined;
  }

  #write(entry: Entry, now: number): void {
    this.#entries.set(entry.key, entry);
    this.#log.push(entry);
    let swept = 0;
    for (let oldest = this.#oldest(); oldest !== undefined; oldest = this.#oldest()) {
      if (this.#entries.size > this.maxEntries) {
        // Full: evicted, done or not.
      } else if (swept < SWEEP_PER_WRITE && oldest.expiresAt <= now) {
        swept++;
      } else {
        break;
      }
      this.#entries.delete(oldest.key);
      this.#head++;
    }
    if (this.#log.length - this.#head > 2 * this.#entries.size + LOG_SLACK) {
      this.#log = this.#log.slice(this.#head).filter((e) => this.#entries.get(e.key) === e);
      this.#head = 0;
    } else if (this.#head > LOG_SLACK && this.#head * 2 > this.#log.length) {
      this.#log = this.#log.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The record written longest ago, skipping superseded writes; `undefined` when empty. */
  #oldest(): Entry | undefined {
    while (this.#head < this.#log.length) {
      const entry = this.#log[this.#head]!;
      if (this.#entries.get(entry.key) === entry) return entry;
      this.#head++;
    }
    return undefined;
  }
}
