import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ClaimProtocol } from '../core/claim-protocol';
import type { SettleFailure } from '../core/claim-protocol';
import { defaultDeduplicationKey } from '../core/deduplication-key';
import type { DeduplicationKey } from '../core/deduplication-key';
import type { DeduplicationStore } from '../core/deduplication-store';

/**
 * Options of {@link deduplicate}; only `store` is required.
 *
 * @example
 * deduplicate({ store: new MemoryStore(), leaseMs: 120_000, retentionMs: 24 * 3600_000 });
 */
export interface DeduplicateOptions {
  /** Where claims and completions live: `new MemoryStore()` (one instance) or `new RedisStore({ client })`. */
  store: DeduplicationStore;
  /**
   * The notification's key, or `undefined` to let it through without de-duplication.
   * Default {@link defaultDeduplicationKey}: the age verification `id`; for IDV,
   * `session_id` + `topic` + the topic's id field, and `resource_update` (which can repeat)
   * and unknown topics not de-duplicated.
   */
  key?: DeduplicationKey;
  /**
   * How long a claim lasts, in ms (default 60,000). Make it longer than your slowest
   * handler: once it ends, a redelivery is handled again, which is what recovers a
   * notification whose instance crashed mid-handler.
   */
  leaseMs?: number;
  /** How long a handled notification is remembered, in ms (default 7 days). */
  retentionMs?: number;
  /** How long a store call may take before the store counts as unavailable, in ms (default 2,000). */
  storeTimeoutMs?: number;
  /** `Retry-After` of a 409, in seconds (default 5; never past the running claim's lease). */
  retryAfterSeconds?: number;
  /** `Retry-After` of a 503 `STORE_UNAVAILABLE`, in seconds (default 5). */
  unavailableRetryAfterSeconds?: number;
  /** The clock, in epoch milliseconds (default `Date.now`); tests pass their own to move time. */
  now?: () => number;
  /**
   * When the store cannot be reached before the handler: `'reject'` (default) answers 503
   * `STORE_UNAVAILABLE`, so Yoti redelivers later and nothing is handled twice; `'process'`
   * runs the handler anyway (at-least-once: a redelivery may then be handled again).
   */
  onStoreError?: 'reject' | 'process';
  /**
   * Called for a redelivery of a handled notification (with `req.notificationDuplicate === true`) before
   * it is acknowledged with 200. May be async; a throw goes to `next(err)`.
   */
  onDuplicate?: (req: Request, key: string) => unknown;
  /**
   * Called when the outcome of a handled notification could not be recorded: the store
   * failed (`store-error`; the write is then retried in the background until the lease
   * ends) or the lease had already ended (`lease-lost`). For logging; it cannot change the
   * response.
   */
  onSettleFailure?: (failure: SettleFailure) => void;
}

/**
 * Exactly-once handling of notifications across redeliveries and app instances. Mount it
 * after the parser (`parseIdvNotification()` or `verifySignature()`) and before the router.
 *
 * For each notification with a key, it claims the key in the store (with a random token and
 * a lease) before the handler runs. When the router answers 2xx (the handler succeeded) the
 * claim is marked done for `retentionMs`; any other answer (the handler failed: the router
 * passed the error to `next(err)`) releases it so that Yoti's redelivery is handled. The
 * response waits for that record, so a 200 means the notification is recorded as handled,
 * unless the store failed at that moment: the 200 is then still sent (the handler succeeded)
 * and the record is retried in the background until the lease ends.
 * The outcome is taken from the response the app produces, not from the socket: a client
 * that disconnects mid-handler does not change it. If the app never ends the response, the
 * lease ends on its own.
 *
 * - A redelivery of a handled notification: 200, the handler not called,
 *   `req.notificationDuplicate` true and `onDuplicate` called.
 * - A duplicate while the first is still handled: `next(err)` with 409
 *   `NOTIFICATION_IN_PROGRESS` and `Retry-After`; Yoti retries later.
 * - Store unreachable: `next(err)` with 503 `STORE_UNAVAILABLE` (`Retry-After:
 *   unavailableRetryAfterSeconds`, default 5), unless `onStoreError: 'process'`.
 * - No key (`key` returned `undefined`): passed through untouched.
 *
 * @throws {TypeError} at setup for a missing store or a bad option; through `next(err)` when
 *   mounted before the parser (no `req.notification`) or when `key` returns a non-string.
 * @example
 * const store = new RedisStore({ client: redisClient });
 * app.post('/yoti/idv', authHeader({ scheme: 'basic', token }), rawBody(), parseIdvNotification(),
 *   deduplicate({ store, onDuplicate: (req, key) => log.info({ key }, 'redelivery') }),
 *   topicRouter().on('session_completion', (req) => fetchResult(req.notification.session_id)));
 */
export function deduplicate(options: DeduplicateOptions): RequestHandler {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('deduplicate: options with a store are required');
  }
  const protocol = new ClaimProtocol(options);
  const keyOf = options.key ?? defaultDeduplicationKey;
  if (typeof keyOf !== 'function') throw new TypeError('deduplicate: key must be a function');
  const { onDuplicate } = options;
  if (onDuplicate !== undefined && typeof onDuplicate !== 'function') {
    throw new TypeError('deduplicate: onDuplicate must be a function');
  }
  const onStoreError = options.onStoreError ?? 'reject';
  if (onStoreError !== 'reject' && onStoreError !== 'process') {
    throw new TypeError("deduplicate: onStoreError must be 'reject' or 'process'");
  }

  return function deduplicateMiddleware(req: Request, res: Response, next: NextFunction): void {
    const notification = req.notification;
    if (notification === undefined) {
      return next(
        new TypeError(
          'deduplicate() found no req.notification; mount it after parseIdvNotification() or verifySignature()',
        ),
      );
    }
    let key: unknown;
    try {
      key = keyOf(notification);
    } catch (error) {
      return next(error);
    }
    if (key === undefined) return next();
    if (typeof key !== 'string' || key.length === 0) {
      return next(new TypeError('deduplicate: key must return a non-empty string or undefined'));
    }
    protocol
      .begin(key)
      .then(
        (outcome) => {
          if (outcome.state === 'claimed') {
            markDuplicate(req, false);
            recordOutcomeOnEnd(res, outcome.settle);
            return next();
          }
          if (outcome.state === 'in-progress') return next(outcome.error);
          markDuplicate(req, true);
          return answerDuplicate(req, res, key as string);
        },
        (error: unknown) => {
          if (onStoreError === 'reject') return next(error);
          markDuplicate(req, false);
          next();
        },
      )
      .catch(next);
  };

  async function answerDuplicate(req: Request, res: Response, key: string): Promise<void> {
    if (onDuplicate !== undefined) await onDuplicate(req, key);
    if (!res.headersSent) res.status(200).end();
  }
}

function markDuplicate(req: Request, duplicate: boolean): void {
  req.notificationDuplicate = duplicate;
  req.duplicate = duplicate;
}

/**
 * Holds back the end of the response until the claim is settled: done for a 2xx, released
 * otherwise. `end` is where every way of answering in Express arrives (`send`, `json`,
 * `sendStatus`, the routers' acknowledgement, the error handlers), and it is still called
 * when the client has gone away, so the record follows what the app answered.
 */
function recordOutcomeOnEnd(res: Response, settle: (succeeded: boolean) => Promise<void>): void {
  const end = res.end;
  let ending = false;
  res.end = function deferredEnd(this: Response, ...args: unknown[]) {
    // A second `end` while the first waits (a router acknowledging after a handler that
    // answered itself) must not change the answer.
    if (ending) return this;
    ending = true;
    const status = this.statusCode;
    const finish = () => {
      res.end = end;
      res.statusCode = status;
      (end as (...endArgs: unknown[]) => Response).apply(res, args);
    };
    settle(status >= 200 && status < 300).then(finish, finish);
    return this;
  } as Response['end'];
}
