import { createHash } from 'node:crypto';

/**
 * What a store answers when asked to claim a key:
 * - `claimed`: the caller holds the key until its lease ends, and must complete or release it;
 * - `in-progress`: another claim holds it; `expiresInMs` is what is left of that lease, when
 *   the store knows it;
 * - `done`: a claim on the key was completed within the retention period.
 */
export type ClaimResult =
  | { readonly state: 'claimed' }
  | { readonly state: 'in-progress'; readonly expiresInMs?: number }
  | { readonly state: 'done' };

/**
 * Storage for `deduplicate()`: one record per notification key, either a claim (held by the
 * random `token` of whoever made it, until its lease ends) or a completion (kept for the
 * retention period). `MemoryStore` and `RedisStore` implement it; any other store must give
 * the same guarantees, which the package's store test suite states:
 *
 * - `claim` is atomic: of concurrent claims on a free key, exactly one is `claimed`;
 * - a claim whose lease has ended is gone, so the next `claim` succeeds (a crashed instance
 *   never blocks a notification for longer than the lease);
 * - `complete` and `release` are fenced by the token: they change the record only while it
 *   is still the claim made with that token, and return whether they did.
 *
 * Methods reject (with any error) when the store cannot be reached; `deduplicate()` turns
 * that into `STORE_UNAVAILABLE` (503).
 *
 * @example
 * const store: DeduplicationStore = new MemoryStore();
 * const token = crypto.randomUUID();
 * if ((await store.claim('av:42', token, 60_000)).state === 'claimed') {
 *   await handle();
 *   await store.complete('av:42', token, 7 * 24 * 3600_000);
 * }
 */
export interface DeduplicationStore {
  /** Claims `key` for `leaseMs` milliseconds with `token`, unless it is claimed or done. */
  claim(key: string, token: string, leaseMs: number): Promise<ClaimResult>;
  /**
   * Marks the claim made with `token` done, to be kept for `retentionMs` milliseconds.
   * Resolves `false`, changing nothing, when `key` is no longer claimed with `token`.
   */
  complete(key: string, token: string, retentionMs: number): Promise<boolean>;
  /**
   * Drops the claim made with `token`, so that the next delivery is handled. Resolves `false`,
   * changing nothing, when `key` is no longer claimed with `token`.
   */
  release(key: string, token: string): Promise<boolean>;
}

/**
 * The longest key, in UTF-16 code units, that a store keeps as it is (at most 384 bytes of
 * UTF-8); a longer one is kept as `#sha256:` and its SHA-256 digest (51 characters). Every
 * store record is then bounded in size whatever the key, so that no notification can make
 * a store grow by more than one small record.
 */
export const MAX_STORED_KEY_LENGTH = 128;

/**
 * The key a store records for `key`: itself, or its digest when longer than
 * {@link MAX_STORED_KEY_LENGTH}. `MemoryStore` and `RedisStore` apply it to every key; a store
 * of your own should too.
 *
 * @example
 * storedKey('av:2480375e-ddc0-4832-9b82-b1d14af5cf75'); // the same string
 * storedKey('x'.repeat(60_000)); // '#sha256:…' (51 characters)
 */
export function storedKey(key: string): string {
  return key.length <= MAX_STORED_KEY_LENGTH
    ? key
    : '#sha256:' + createHash('sha256').update(key, 'utf8').digest('base64url');
}
