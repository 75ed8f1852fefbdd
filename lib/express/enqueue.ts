import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { defaultDeduplicationKey } from '../core/deduplication-key';
import type { DeduplicationKey } from '../core/deduplication-key';
import { StoreUnavailableError } from '../core/errors';
import type { Inbox, InboxEntry } from '../core/inbox';
import { withTimeout } from '../core/timeout';
import './request';

/** Options of {@link enqueue}. */
export interface EnqueueOptions {
  /**
   * The notification's key, from which the inbox derives its job id, or `undefined` to store
   * every delivery. Default: `defaultDeduplicationKey`, the same as `deduplicate()`'s.
   */
  key?: DeduplicationKey;
  /** How long the engine may take to confirm the write, in ms, before a 503 (default 2,000). */
  timeoutMs?: number;
  /** `Retry-After` of the 503, in seconds (default 5). */
  retryAfterSeconds?: number;
  /** The clock for `receivedAt`, in epoch ms (default `Date.now`). */
  now?: () => number;
}

/**
 * Stores the verified notification in a durable inbox and answers 200 once the engine has
 * confirmed the write: **200 means stored**. Mount it last, after `parseIdvNotification()`
 * (and `authHeader()`) or `verifySignature()`; workers started with `inbox.work(handlers)`
 * handle the notification afterwards. A redelivery whose key the inbox already holds is
 * answered 200 and not stored again.
 *
 * The engine unreachable, failing or slower than `timeoutMs`: `next(err)` with 503
 * `STORE_UNAVAILABLE` and `Retry-After`, so that Yoti delivers again; nothing is acknowledged
 * that was not stored.
 *
 * @throws {TypeError} at setup for something that is not an inbox (a Promise: did you forget
 *   await?) or a bad option.
 * @example
 * const inbox = new PgBossInbox({ pglite: './inbox-data' });
 * app.post('/yoti/age', rawBody(), verifySignature(), enqueue(inbox), notificationErrorHandler());
 */
export function enqueue(inbox: Inbox, options: EnqueueOptions = {}): RequestHandler {
  if (typeof (inbox as { then?: unknown } | null)?.then === 'function') {
    throw new TypeError('enqueue: the inbox is a Promise; did you forget await?');
  }
  if (inbox === null || typeof inbox?.store !== 'function') {
    throw new TypeError('enqueue: give an inbox, e.g. new BullMQInbox(…) or new PgBossInbox(…)');
  }
  const key = options.key ?? defaultDeduplicationKey;
  const timeoutMs = options.timeoutMs ?? 2_000;
  const retryAfterSeconds = options.retryAfterSeconds ?? 5;
  const now = options.now ?? Date.now;
  if (typeof key !== 'function') throw new TypeError('enqueue: key must be a function');
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new TypeError('enqueue: timeoutMs must be a positive number of milliseconds');
  }
  if (!(Number.isInteger(retryAfterSeconds) && retryAfterSeconds > 0)) {
    throw new TypeError('enqueue: retryAfterSeconds must be a positive integer');
  }
  if (typeof now !== 'function') throw new TypeError('enqueue: now must be a function');
  const unavailable = (cause: unknown) =>
    new StoreUnavailableError({ cause, message: 'Inbox is unavailable', retryAfterSeconds });

  return function enqueueMiddleware(req: Request, res: Response, next: NextFunction): void {
    const notification = req.notification;
    if (notification === undefined) {
      return next(
        new TypeError(
          'enqueue() found no req.notification; mount it after parseIdvNotification() or verifySignature()',
        ),
      );
    }
    let entry: InboxEntry;
    try {
      const entryKey = key(notification);
      if (entryKey !== undefined && typeof entryKey !== 'string') {
        throw new TypeError('enqueue: key must return a string or undefined');
      }
      const kind = typeof (notification as { topic?: unknown }).topic === 'string' ? 'idv' : 'age';
      entry = { kind, key: entryKey, notification, receivedAt: now() };
    } catch (error) {
      return next(error);
    }
    withTimeout(
      Promise.resolve().then(() => inbox.store(entry)),
      timeoutMs,
      `no answer within ${timeoutMs} ms`,
    ).then(
      () => {
        if (res.headersSent) return;
        res.statusCode = 200;
        res.end();
      },
      (error: unknown) => next(unavailable(error)),
    );
  };
}
