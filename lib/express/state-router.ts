import type { RequestHandler } from 'express';
import type {
  AgeVerificationNotification,
  AgeVerificationNotificationOf,
  AgeVerificationState,
} from '../core/age-verification-notification';
import { createNotificationRouter } from './notification-router';
import type { NotificationHandler } from './request';

/**
 * The router returned by {@link stateRouter}: an Express middleware with chainable
 * `.on` and `.onUnknown`.
 */
export interface StateRouter extends RequestHandler {
  /**
   * Handles one state or several (`'COMPLETE'`, `'FAIL'`, `'ERROR'`, or a state Yoti adds
   * later). A second handler for the same state is a `TypeError`.
   */
  on<S extends AgeVerificationState | (string & Record<never, never>)>(
    state: S | readonly S[],
    handler: NotificationHandler<AgeVerificationNotificationOf<S>>,
  ): this;
  /** Handles every notification no `.on` claimed, e.g. a state Yoti added. */
  onUnknown(handler: NotificationHandler<AgeVerificationNotification>): this;
}

/**
 * Routes age verification notifications (from `verifySignature()`) to a handler per
 * `state`, with the same semantics as `topicRouter()`: 200 when the handler settles,
 * `next(err)` when it throws, 200 for a state nobody handles.
 *
 * @example
 * stateRouter()
 *   .on('COMPLETE', (req) => grantAccess(req.notification.session_key))
 *   .on(['FAIL', 'ERROR'], (req) => recordAttempt(req.notification))
 *   .onUnknown((req) => log('new state', req.notification.state));
 */
export function stateRouter(): StateRouter {
  return createNotificationRouter<StateRouter>(
    'stateRouter',
    (notification) => (notification as { state?: unknown }).state,
    'age verification state (use verifySignature())',
  );
}
