import { randomUUID } from 'node:crypto';
import { withTimeout } from './timeout';
import { NotificationInProgressError, StoreUnavailableError } from './errors';
import type { ClaimResult, DeduplicationStore } from './deduplication-store';

/** Default lease of a claim: how long a notification may be handled before another try. */
export const DEFAULT_LEASE_MS = 60_000;
/** Default time a completed notification is remembered: 7 days. */
export const DEFAULT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
/** Default time a store call may take before the store counts as unavailable. */
export const DEFAULT_STORE_TIMEOUT_MS = 2_000;
/** Default `Retry-After` of a 409 `NOTIFICATION_IN_PROGRESS`, in seconds. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/**
 * A completion or release that did not take effect, reported to `deduplicate()`'s
 * `onSettleFailure`.
 *
 * @example
 * deduplicate({ store, onSettleFailure: (f) => log.warn(f, 'de-duplication record not written') });
 */
export interface SettleFailure {
  /** The notification's key. */
  readonly key: string;
  /** What was attempted: marking the notification done, or releasing it after a failure. */
  readonly action: 'complete' | 'release';
  /**
   * `lease-lost`: the claim had expired (and may now be another instance's), so nothing was
   * changed; `store-error`: the store failed or timed out.
   */
  readonly reason: 'lease-lost' | 'store-error';
  /** The store's error, for `store-error`. */
  readonly error?: unknown;
  /** Whether it will be tried again in the background (until the claim's lease ends). */
  readonly willRetry: boolean;
}

/** Options of the claim protocol; `deduplicate()` passes its own through. */
export interface ClaimProtocolOptions {
  store: DeduplicationStore;
  leaseMs?: number;
  retentionMs?: number;
  storeTimeoutMs?: number;
  retryAfterSeconds?: number;
  /** `Retry-After` of a 503 `STORE_UNAVAILABLE`, in seconds (default 5). */
  unavailableRetryAfterSeconds?: number;
  onSettleFailure?: (failure: SettleFailure) => void;
  /** The clock, in epoch milliseconds (default `Date.now`); timers are the platform's. */
  now?: () => number;
}

/** What {@link ClaimProtocol.begin} found. */
export type ClaimOutcome =
  | {
      readonly state: 'claimed';
      /**
       * Ends the claim: marks it done when the handler `succeeded`, else releases it. Never
       * rejects; failures go to `onSettleFailure`.
       */
      settle(succeeded: boolean): Promise<void>;
    }
  | { readonly state: 'done' }
  | { readonly state: 'in-progress'; readonly error: NotificationInProgressError };

// Background retries of store calls that failed (a completion, the release of a claim whose
// answer was lost), with backoff, until the lease ends.
const RETRY_INITIAL_MS = 250;
const RETRY_MAX_MS = 5_000;

const DONE: ClaimOutcome = Object.freeze({ state: 'done' });

/**
 * The exactly-once protocol over a {@link DeduplicationStore}, free of any framework: claim
 * a key with a random token and a lease before handling; complete it (kept for the retention
 * period) when the handler succeeded, release it when it failed. Completions and releases are
 * fenced by the token, so an instance whose lease ran out cannot touch a newer claim.
 */
export class ClaimProtocol {
  readonly leaseMs: number;
  readonly retentionMs: number;
  readonly storeTimeoutMs: number;
  readonly retryAfterSeconds: number;
  readonly unavailableRetryAfterSeconds: number;
  readonly #store: DeduplicationStore;
  readonly #now: () => number;
  readonly #onSettleFailure: ((failure: SettleFailure) => void) | undefined;

  /** @throws {TypeError} for a store without the three methods, or a bad duration. */
  constructor(options: ClaimProtocolOptions, where = 'deduplicate') {
    const store = options.store;
    if (
      store === null ||
      typeof store !== 'object' ||
      typeof store.claim !== 'function' ||
      typeof store.complete !== 'function' ||
      typeof store.release !== 'function'
    ) {
      throw new TypeError(
        `${where}: store must be a DeduplicationStore (e.g. new MemoryStore() or new RedisStore({ client }))`,
      );
    }
    this.#store = store;
    this.leaseMs = positiveInteger(options.leaseMs, DEFAULT_LEASE_MS, `${where}: leaseMs`);
    this.retentionMs = positiveInteger(
      options.retentionMs,
      DEFAULT_RETENTION_MS,
      `${where}: retentionMs`,
    );
    this.storeTimeoutMs = positiveInteger(
      options.storeTimeoutMs,
      DEFAULT_STORE_TIMEOUT_MS,
      `${where}: storeTimeoutMs`,
    );
    this.retryAfterSeconds = positiveInteger(
      options.retryAfterSeconds,
      DEFAULT_RETRY_AFTER_SECONDS,
      `${where}: retryAfterSeconds`,
    );
    this.unavailableRetryAfterSeconds = positiveInteger(
      options.unavailableRetryAfterSeconds,
      DEFAULT_RETRY_AFTER_SECONDS,
      `${where}: unavailableRetryAfterSeconds`,
    );
    const now = options.now ?? Date.now;
    if (typeof now !== 'function') {
      throw new TypeError(`${where}: now must be a function returning epoch milliseconds`);
    }
    this.#now = now;
    if (options.onSettleFailure !== undefined && typeof options.onSettleFailure !== 'function') {
      throw new TypeError(`${where}: onSettleFailure must be a function`);
    }
    this.#onSettleFailure = options.onSettleFailure;
  }

  /**
   * Tries to claim `key`. Rejects with a `StoreUnavailableError` (`STORE_UNAVAILABLE`) when
   * the store fails or times out.
   */
  begin(key: string): Promise<ClaimOutcome> {
    const token = randomUUID();
    const claimedAt = this.#now();
    let claim: Promise<ClaimResult>;
    try {
      claim = this.#call(this.#store.claim(key, token, this.leaseMs));
    } catch (error) {
      claim = Promise.reject(error);
    }
    return claim.then(
      (result) => this.#outcome(result, key, token, claimedAt),
      (error: unknown) => {
        // The claim may have landed with its answer lost (a timeout, a connection dropped
        // mid-reply). Releasing it, now or once the store is back, spares redeliveries from
        // 409s until the lease ends; a release of a claim that never landed changes nothing.
        this.#retry(() => this.#store.release(key, token), claimedAt + this.leaseMs, 0);
        throw new StoreUnavailableError({
          cause: error,
          retryAfterSeconds: this.unavailableRetryAfterSeconds,
        });
      },
    );
  }

  #outcome(result: ClaimResult, key: string, token: string, claimedAt: number): ClaimOutcome {
    if (result.state === 'done') return DONE;
    if (result.state === 'in-progress') {
      const left = result.expiresInMs;
      const seconds =
        left === undefined || !(left > 0)
          ? this.retryAfterSeconds
          : Math.max(1, Math.min(this.retryAfterSeconds, Math.ceil(left / 1000)));
      return { state: 'in-progress', error: new NotificationInProgressError(seconds) };
    }
    let settled = false;
    return {
      state: 'claimed',
      settle: (succeeded: boolean) => {
        if (settled) return Promise.resolve();
        settled = true;
        return succeeded
          ? this.#complete(key, token, claimedAt + this.leaseMs, RETRY_INITIAL_MS)
          : this.#release(key, token, claimedAt + this.leaseMs);
      },
    };
  }

  async #complete(
    key: string,
    token: string,
    leaseEnd: number,
    nextDelayMs: number,
  ): Promise<void> {
    try {
      if (!(await this.#call(this.#store.complete(key, token, this.retentionMs)))) {
        this.#report({ key, action: 'complete', reason: 'lease-lost', willRetry: false });
      }
    } catch (error) {
      // The handler succeeded: only the record of it is missing. Keep trying while the claim
      // can still be ours, so that a later duplicate is not handled again.
      const willRetry = this.#now() + nextDelayMs < leaseEnd;
      this.#report({ key, action: 'complete', reason: 'store-error', error, willRetry });
      if (willRetry) {
        this.#later(
          () => this.#complete(key, token, leaseEnd, Math.min(nextDelayMs * 2, RETRY_MAX_MS)),
          nextDelayMs,
        );
      }
    }
  }

  /** Tries `operation` now and, while it rejects, again with backoff until `until`. */
  #retry(operation: () => Promise<unknown>, until: number, delayMs: number): void {
    const attempt = () => {
      this.#call(Promise.resolve().then(operation)).catch(() => {
        const next = Math.min(Math.max(delayMs * 2, RETRY_INITIAL_MS), RETRY_MAX_MS);
        if (this.#now() + next < until) this.#retry(operation, until, next);
      });
    };
    if (delayMs === 0) attempt();
    else this.#later(attempt, delayMs);
  }

  // Background retries must never keep the process alive.
  #later(run: () => unknown, delayMs: number): void {
    setTimeout(run, delayMs).unref();
  }

  async #release(key: string, token: string, leaseEnd: number): Promise<void> {
    try {
      if (!(await this.#call(this.#store.release(key, token)))) {
        this.#report({ key, action: 'release', reason: 'lease-lost', willRetry: false });
      }
    } catch (error) {
      // The lease would end on its own; releasing once the store is back lets the
      // redelivery be handled sooner.
      const willRetry = this.#now() + RETRY_INITIAL_MS < leaseEnd;
      this.#report({ key, action: 'release', reason: 'store-error', error, willRetry });
      if (willRetry) {
        this.#retry(() => this.#store.release(key, token), leaseEnd, RETRY_INITIAL_MS);
      }
    }
  }

  #report(failure: SettleFailure): void {
    try {
      this.#onSettleFailure?.(failure);
    } catch {
      // A reporting hook must not turn a settled notification into a failed one.
    }
  }

  #call<T>(operation: Promise<T>): Promise<T> {
    return withTimeout(
      operation,
      this.storeTimeoutMs,
      `Store call timed out after ${this.storeTimeoutMs} ms`,
    );
  }
}

function positiveInteger(value: unknown, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`${what} must be a positive integer (milliseconds or seconds)`);
  }
  return value;
}
