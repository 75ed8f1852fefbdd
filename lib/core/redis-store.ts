import { createHash } from 'node:crypto';
// From node:timers, not the global: a test that fakes the global timers must not hold back
// every Redis operation until it advances them.
import { setImmediate } from 'node:timers';
import { storedKey } from './deduplication-store';
import type { ClaimResult, DeduplicationStore } from './deduplication-store';

/**
 * The part of a Redis client that {@link RedisStore} uses: a connected client of the `redis`
 * package (v4 and later: `eval(script, { keys, arguments })`, and `evalSha` when present) or
 * of `ioredis` (`eval(script, numKeys, ...keysAndArgs)`, and `evalsha`). Typed loosely on
 * purpose: this package never imports either client.
 */
export interface RedisClientLike {
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
  /**
   * Send the operations made during one turn of the event loop as one script call (default
   * `true`, except for Redis Cluster clients). A batch touches many keys at once, so on a
   * cluster it needs every key in one slot: a prefix with a hash tag, such as `'{yoti}:'`
   * (required there). Should Redis still refuse a batch for spanning slots (`CROSSSLOT`,
   * behind a sharding proxy, say), its operations are sent one by one and batching is
   * turned off for the store.
   */
  batch?: boolean;
}

/** Default {@link RedisStoreOptions.prefix}. */
export const DEFAULT_REDIS_PREFIX = 'yoti:dedup:';

/** Most operations sent in one script call; a fuller queue is split. */
export const MAX_REDIS_BATCH = 128;

// A record's value: `c:<token>` while claimed, `d` once done. Expiry is Redis's own PX.
const CLAIMED = 'c:';

// One script runs a batch of operations, in order and atomically: KEYS[i] is the i-th
// operation's key and ARGV[3i-2], ARGV[3i-1], ARGV[3i] its kind (`c` claim, `d` complete,
// `r` release), claim value and milliseconds. A claim is SET NX PX; when refused, what holds
// the key is read in the same step, so it cannot vanish in between. Completion and release
// are fenced by the claim's value: a claim whose lease ended, perhaps re-claimed by another
// instance since, is left alone. Answers, one per operation: claim -1 claimed, -2 done,
// otherwise the lease's milliseconds left (PTTL, 0 when the key has no expiry); complete and
// release 1 or 0; an operation that Redis refused answers its error message, and the others
// still run.
const OPERATIONS = `local function run(op, key, value, ms)
  if op == 'c' then
    if redis.call('SET', key, value, 'NX', 'PX', ms) then return -1 end
    if redis.call('GET', key) == 'd' then return -2 end
    local left = redis.call('PTTL', key)
    if left > 0 then return left end
    return 0
  end
  if redis.call('GET', key) ~= value then return 0 end
  if op == 'd' then redis.call('SET', key, 'd', 'PX', ms) else redis.call('DEL', key) end
  return 1
end
local out = {}
for i, key in ipairs(KEYS) do
  local ok, answer = pcall(run, ARGV[3 * i - 2], key, ARGV[3 * i - 1], ARGV[3 * i])
  if ok then out[i] = answer
  elseif type(answer) == 'table' and answer.err then out[i] = answer.err
  else out[i] = tostring(answer) end
end
return out`;

const OPERATIONS_SHA1 = createHash('sha1').update(OPERATIONS).digest('hex');

type Kind = 'c' | 'd' | 'r';
type Eval = (keys: string[], args: string[]) => PromiseLike<unknown>;

interface Operation {
  readonly key: string;
  readonly kind: Kind;
  readonly value: string;
  readonly ms: string;
  readonly resolve: (answer: number) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A {@link DeduplicationStore} in Redis, shared by every instance of the app. A claim is an
 * atomic `SET key value NX PX lease`; completion and release act only while the key still
 * holds this claim's random token (fencing); records expire with Redis's own TTL (the lease,
 * then the retention period). Every operation runs in one Lua script. With `batch` on (the
 * default, except for cluster clients), the operations made during one turn of the event loop
 * (up to 128) share one script call, so that under load many
 * notifications share each call to Redis.
 *
 * The client is duck-typed: pass a connected client of `redis` (v4+) or `ioredis`; this
 * package never imports either. So that a Redis outage answers `STORE_UNAVAILABLE` at once
 * instead of queueing, create the client with `disableOfflineQueue: true` (`redis`) or
 * `enableOfflineQueue: false` (`ioredis`); otherwise `deduplicate()`'s `storeTimeoutMs` bounds
 * the wait. The client is used as given, through its public API only: for other command
 * options on the store's calls (a `redis` client's per-command `timeout`, say), pass a view,
 * `client.withCommandOptions({ timeout: 1_000 })`. Through `deduplicate()` each store call is
 * bounded by `storeTimeoutMs` in any case.
 *
 * @throws {TypeError} when `client` lacks `eval`, `prefix` or `batch` has the wrong type, or
 *   `batch: true` is asked of a cluster client without a hash tag (`{…}`) in `prefix`.
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
  readonly #eval: Eval;
  #batch: boolean;
  #queue: Operation[] = [];

  constructor(options: RedisStoreOptions) {
    const client = (options ?? {}).client as unknown as Record<string, unknown> | undefined;
    if (client === null || typeof client !== 'object' || typeof client.eval !== 'function') {
      throw new TypeError(
        'RedisStore: client must be a connected client of the redis (v4+) or ioredis package',
      );
    }
    const prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
    if (typeof prefix !== 'string') throw new TypeError('RedisStore: prefix must be a string');
    const cluster = isCluster(client);
    const batch = options.batch ?? !cluster;
    if (typeof batch !== 'boolean') throw new TypeError('RedisStore: batch must be a boolean');
    if (batch && cluster && !/\{[^}]+\}/.test(prefix)) {
      throw new TypeError(
        "RedisStore: batch on a cluster needs a hash tag in prefix (e.g. '{yoti}:dedup:'), so that every key is in one slot",
      );
    }
    this.prefix = prefix;
    this.#batch = batch;
    const ioredis = isIoredis(client);
    const target = client;
    const call = (method: unknown, script: string, keys: string[], args: string[]) =>
      (method as (...all: unknown[]) => PromiseLike<unknown>).call(
        target,
        ...(ioredis
          ? [script, keys.length, ...keys, ...args]
          : [script, { keys, arguments: args }]),
      );
    const evalSha = ioredis ? target.evalsha : target.evalSha;
    // By its SHA-1 when the client can (Redis then need not receive and hash the script each
    // time); by its text when Redis does not have it yet, which also loads it.
    this.#eval =
      typeof evalSha === 'function'
        ? (keys, args) =>
            Promise.resolve(call(evalSha, OPERATIONS_SHA1, keys, args)).catch((error: unknown) =>
              isNoScript(error) ? call(target.eval, OPERATIONS, keys, args) : Promise.reject(error),
            )
        : (keys, args) => call(target.eval, OPERATIONS, keys, args);
  }

  /** Whether operations made in one turn of the event loop share one script call. */
  get batch(): boolean {
    return this.#batch;
  }

  /** {@inheritDoc DeduplicationStore.claim} */
  async claim(key: string, token: string, leaseMs: number): Promise<ClaimResult> {
    const answer = await this.#run(key, 'c', CLAIMED + token, leaseMs);
    if (answer === -1) return { state: 'claimed' };
    if (answer === -2) return { state: 'done' };
    return answer > 0 ? { state: 'in-progress', expiresInMs: answer } : { state: 'in-progress' };
  }

  /** {@inheritDoc DeduplicationStore.complete} */
  async complete(key: string, token: string, retentionMs: number): Promise<boolean> {
    return (await this.#run(key, 'd', CLAIMED + token, retentionMs)) === 1;
  }

  /** {@inheritDoc DeduplicationStore.release} */
  async release(key: string, token: string): Promise<boolean> {
    return (await this.#run(key, 'r', CLAIMED + token, 0)) === 1;
  }

  #run(key: string, kind: Kind, value: string, ms: number): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const operation = {
        key: this.prefix + storedKey(key),
        kind,
        value,
        ms: String(ms),
        resolve,
        reject,
      };
      if (!this.#batch) return this.#send([operation]);
      if (this.#queue.push(operation) === 1) setImmediate(this.#flush);
      else if (this.#queue.length === MAX_REDIS_BATCH) this.#flush();
    });
  }

  // Sends what is queued. When a full queue was sent early, the setImmediate scheduled for it
  // finds what came after (or nothing).
  readonly #flush = (): void => {
    const operations = this.#queue;
    if (operations.length === 0) return;
    this.#queue = [];
    this.#send(operations);
  };

  #send(operations: readonly Operation[]): void {
    const keys: string[] = [];
    const args: string[] = [];
    for (const { key, kind, value, ms } of operations) {
      keys.push(key);
      args.push(kind, value, ms);
    }
    let reply: PromiseLike<unknown>;
    try {
      reply = this.#eval(keys, args);
    } catch (error) {
      for (const operation of operations) operation.reject(error);
      return;
    }
    Promise.resolve(reply).then(
      (answers) => {
        if (!Array.isArray(answers) || answers.length !== operations.length) {
          const error = new Error('RedisStore: unexpected reply from Redis');
          for (const operation of operations) operation.reject(error);
          return;
        }
        for (let i = 0; i < operations.length; i++) {
          const answer: unknown = answers[i];
          if (typeof answer === 'number') operations[i]!.resolve(answer);
          else {
            operations[i]!.reject(
              new Error(`RedisStore: Redis refused the operation: ${String(answer)}`),
            );
          }
        }
      },
      (error: unknown) => {
        if (operations.length > 1 && isCrossSlot(error)) {
          // Keys in more than one slot: this Redis shards them. One by one from now on.
          this.#batch = false;
          for (const operation of operations) this.#send([operation]);
          return;
        }
        for (const operation of operations) operation.reject(error);
      },
    );
  }
}

// ioredis clients (and clusters) expose `defineCommand` and a `status` string; the `redis`
// package's clients have neither.
function isIoredis(client: Record<string, unknown>): boolean {
  return typeof client.defineCommand === 'function' || typeof client.status === 'string';
}

// An ioredis Cluster says so; a `redis` package cluster (createCluster) has masters and slots.
function isCluster(client: Record<string, unknown>): boolean {
  return client.isCluster === true || Array.isArray(client.masters);
}

function isCrossSlot(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('CROSSSLOT');
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
