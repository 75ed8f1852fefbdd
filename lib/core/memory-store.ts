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
}

/** Default {@link MemoryStoreOptions.maxEntries}. */
export const DEFAULT_MEMORY_STORE_MAX_ENTRIES = 100_000;

interface Entry {
  /** The claim's token, or `undefined` once done. */
  readonly token: string | undefined;
  readonly expiresAt: number;
}

// Expired records at the front of the map dropped per write: amortised clean-up without timers.
const SWEEP_PER_WRITE = 2;
// Writes beyond the store's size after which a cursor that has not moved is dropped.
const STALE_CURSOR_SLACK = 64;

/**
 * A {@link DeduplicationStore} in this process's memory, for a single app instance (and for
 * tests). Several instances need a shared store such as `RedisStore`.
 *
 * Bounded: at most `maxEntries` records, each expiring when its lease or retention period
 * ends; when full, the record written longest ago is evicted first. It runs no timers, so it
 * never keeps the process alive: expired records are dropped when touched, and a couple are
 * swept from the oldest end on every write. On average, a write's cost does not grow in
 * proportion to the store's size.
 *
 * @throws {TypeError} when `maxEntries` is not a positive integer.
 * @example
 * app.post('/yoti/age', rawBody(), verifySignature(),
 *   deduplicate({ store: new MemoryStore({ maxEntries: 50_000 }) }),
 *   stateRouter().on('COMPLETE', grant));
 */
export class MemoryStore implements DeduplicationStore {
  /** The bound on records held. */
  readonly maxEntries: number;
  // Insertion order is write order: a record is re-inserted whenever it changes.
  readonly #entries = new Map<string, Entry>();
  // Where the oldest record is, kept between writes. A Map iterator is live: it skips what was
  // deleted ahead of it and reaches what was added since. Starting again from the front on
  // every write would step over every slot freed since the Map last compacted itself, which at
  // capacity (one record evicted per write) makes each write cost in proportion to the size.
  #cursor: Iterator<[string, Entry]> | undefined;
  #head: [string, Entry] | undefined;
  // Writes since the cursor last moved. An iterator that stays put while the Map keeps being
  // written holds on to every hash table the Map has outgrown since (V8 keeps them so that the
  // iterator can find its place): past a size's worth of writes it is dropped, and that
  // write starts a fresh one from the front, which steps over the freed slots once.
  #writesSinceMove = 0;

  constructor(options: MemoryStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? DEFAULT_MEMORY_STORE_MAX_ENTRIES;
    if (!Number.isSafeInteger(maxEntries) || maxEntries <= 0) {
      throw new TypeError('MemoryStore: maxEntries must be a positive integer');
    }
    this.maxEntries = maxEntries;
  }

  /** Records held, including expired ones not dropped yet. */
  get size(): number {
    return this.#entries.size;
  }

  /** {@inheritDoc DeduplicationStore.claim} */
  async claim(notificationKey: string, token: string, leaseMs: number): Promise<ClaimResult> {
    const key = storedKey(notificationKey);
    const now = Date.now();
    const entry = this.#live(key, now);
    if (entry !== undefined) {
      return entry.token === undefined
        ? { state: 'done' }
        : { state: 'in-progress', expiresInMs: entry.expiresAt - now };
    }
    this.#write(key, { token, expiresAt: now + leaseMs });
    return { state: 'claimed' };
  }

  /** {@inheritDoc DeduplicationStore.complete} */
  async complete(notificationKey: string, token: string, retentionMs: number): Promise<boolean> {
    const key = storedKey(notificationKey);
    const now = Date.now();
    if (this.#live(key, now)?.token !== token) return false;
    this.#write(key, { token: undefined, expiresAt: now + retentionMs });
    return true;
  }

  /** {@inheritDoc DeduplicationStore.release} */
  async release(notificationKey: string, token: string): Promise<boolean> {
    const key = storedKey(notificationKey);
    if (this.#live(key, Date.now())?.token !== token) return false;
    this.#entries.delete(key);
    return true;
  }

  /** Drops every record. */
  clear(): void {
    this.#entries.clear();
    this.#dropCursor();
  }

  #live(key: string, now: number): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.expiresAt > now) return entry;
    this.#entries.delete(key);
    return undefined;
  }

  #write(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (++this.#writesSinceMove > this.#entries.size + STALE_CURSOR_SLACK) this.#dropCursor();
    const now = Date.now();
    let swept = 0;
    for (let oldest = this.#oldest(); oldest !== undefined; oldest = this.#oldest()) {
      const [oldestKey, { expiresAt }] = oldest;
      if (this.#entries.size > this.maxEntries) {
        // Full: evicted, done or not.
      } else if (swept < SWEEP_PER_WRITE && expiresAt <= now) {
        swept++;
      } else {
        break;
      }
      this.#entries.delete(oldestKey);
    }
  }

  #dropCursor(): void {
    this.#cursor = undefined;
    this.#head = undefined;
    this.#writesSinceMove = 0;
  }

  /**
   * The record written longest ago, or `undefined` when there is none. Every record the cursor
   * has passed, except the head it last yielded, is gone from the Map (deleted, or re-inserted
   * further on), so the head, if still there, or else the next record the cursor yields, is the
   * oldest.
   */
  #oldest(): [string, Entry] | undefined {
    for (;;) {
      if (this.#head !== undefined) {
        const [key, entry] = this.#head;
        if (this.#entries.get(key) === entry) return this.#head;
      }
      this.#writesSinceMove = 0;
      let step = this.#cursor?.next();
      if (step === undefined || step.done === true) {
        // A finished iterator stays finished, even once records are added again.
        if (this.#entries.size === 0) {
          this.#head = undefined;
          return undefined;
        }
        this.#cursor = this.#entries.entries();
        step = this.#cursor.next();
      }
      this.#head = step.value as [string, Entry];
    }
  }
}
