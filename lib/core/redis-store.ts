import type { ClaimResult, DeduplicationStore } from './deduplication-store';

/**
 * The part of a Redis client that {@link RedisStore} uses: a connected client of the `redis`
 * package (v4 and later: `set(key, value, { NX, PX })`, `eval(script, { keys, arguments })`)
 * or of `ioredis` (`set(key, value, 'PX', ms, 'NX')`, `eval(script, numKeys, ...args)`).
 * Typed loosely on purpose: this package never imports either client.
 */
export interface RedisClientLike {
  set(...args: never[]): PromiseLike<unknown>;
  eval(...args: never[]): PromiseLike<unknown>;
}

/**
 * Options of {@link RedisStore}.
 *
 * @example
 * new RedisStore({ client: new Redis(url, { enableOfflineQueue: false }), prefix: 'myapp:yoti:' });
 */
export interface RedisStoreOptions {
  /** A connected `redis` (v4+) or `ioredis` client. The store never connects or quits it. */
  client: RedisClientLike;
  /** Prepended to every key (default `'yoti:dedup:'`), to share a database safely. */
  prefix?: string;
}

/** Default {@link RedisStoreOptions.prefix}. */
export const DEFAULT_REDIS_PREFIX = 'yoti:dedup:';

// A record's value: `c:<token>` while claimed, `d` once done. Expiry is Redis's own PX.
const CLAIMED = 'c:';
const DONE = 'd';

// What holds a key that SET NX refused, with the time left on it, read atomically.
const INSPECT = `local v = redis.call('GET', KEYS[1])
if not v then return false end
return {v, redis.call('PTTL', KEYS[1])}`;

// Fenced by the claim's value: a claim whose lease ended, perhaps re-claimed by another
// instance since, is left alone.
const COMPLETE = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

// SET NX can fail and the key vanish (released, expired) before it is inspected: claim again.
const CLAIM_ATTEMPTS = 3;

type Eval = (script: string, keys: string[], args: string[]) => PromiseLike<unknown>;
type SetNxPx = (key: string, value: string, ms: number) => PromiseLike<unknown>;

/**
 * A {@link DeduplicationStore} in Redis, shared by every instance of the app. A claim is one
 * atomic `SET key value NX PX lease`; completion and release are Lua scripts that act only
 * while the key still holds this claim's random token (fencing); records expire with Redis's
 * own TTL (the lease, then the retention period).
 *
 * The client is duck-typed: pass a connected client of `redis` (v4+) or `ioredis`; this
 * package never imports either. So that a Redis outage answers `STORE_UNAVAILABLE` at once
 * instead of queueing, create the client with `disableOfflineQueue: true` (`redis`) or
 * `enableOfflineQueue: false` (`ioredis`); otherwise `deduplicate()`'s `storeTimeoutMs` bounds
 * the wait.
 *
 * @throws {TypeError} when `client` lacks `set`/`eval`, or `prefix` is not a string.
 * @example
 * import { createClient } from 'redis';
 * const client = await createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true }).connect();
 * app.post('/yoti/age', rawBody(), verifySignature(),
 *   deduplicate({ store: new RedisStore({ client, prefix: 'myapp:yoti:' }) }),
 *   stateRouter().on('COMPLETE', grant));
 */
export class RedisStore implements DeduplicationStore {
  /** The key prefix in use. */
  readonly prefix: string;
  readonly #setNxPx: SetNxPx;
  readonly #eval: Eval;

  constructor(options: RedisStoreOptions) {
    const client = (options ?? {}).client as unknown as Record<string, unknown> | undefined;
    if (
      client === null ||
      typeof client !== 'object' ||
      typeof client.set !== 'function' ||
      typeof client.eval !== 'function'
    ) {
      throw new TypeError(
        'RedisStore: client must be a connected client of the redis (v4+) or ioredis package',
      );
    }
    const prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
    if (typeof prefix !== 'string') throw new TypeError('RedisStore: prefix must be a string');
    this.prefix = prefix;
    const set = client.set as (...args: unknown[]) => PromiseLike<unknown>;
    const evaluate = client.eval as (...args: unknown[]) => PromiseLike<unknown>;
    if (isIoredis(client)) {
      this.#setNxPx = (key, value, ms) => set.call(client, key, value, 'PX', ms, 'NX');
      this.#eval = (script, keys, args) =>
        evaluate.call(client, script, keys.length, ...keys, ...args);
    } else {
      this.#setNxPx = (key, value, ms) => set.call(client, key, value, { NX: true, PX: ms });
      this.#eval = (script, keys, args) => evaluate.call(client, script, { keys, arguments: args });
    }
  }

  /** {@inheritDoc DeduplicationStore.claim} */
  async claim(key: string, token: string, leaseMs: number): Promise<ClaimResult> {
    const redisKey = this.prefix + key;
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      if ((await this.#setNxPx(redisKey, CLAIMED + token, leaseMs)) === 'OK') {
        return { state: 'claimed' };
      }
      const found = await this.#eval(INSPECT, [redisKey], []);
      if (!Array.isArray(found)) continue;
      if (String(found[0]) === DONE) return { state: 'done' };
      const left = Number(found[1]);
      return left > 0 ? { state: 'in-progress', expiresInMs: left } : { state: 'in-progress' };
    }
    return { state: 'in-progress' };
  }

  /** {@inheritDoc DeduplicationStore.complete} */
  async complete(key: string, token: string, retentionMs: number): Promise<boolean> {
    const done = await this.#eval(
      COMPLETE,
      [this.prefix + key],
      [CLAIMED + token, DONE, String(retentionMs)],
    );
    return Number(done) === 1;
  }

  /** {@inheritDoc DeduplicationStore.release} */
  async release(key: string, token: string): Promise<boolean> {
    return Number(await this.#eval(RELEASE, [this.prefix + key], [CLAIMED + token])) === 1;
  }
}

// ioredis clients (and clusters) expose `defineCommand` and a `status` string; the `redis`
// package's clients have neither.
function isIoredis(client: Record<string, unknown>): boolean {
  return typeof client.defineCommand === 'function' || typeof client.status === 'string';
}
