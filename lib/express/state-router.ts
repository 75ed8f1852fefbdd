import type { RequestHandler } from 'express';
import { stateNames } from '../core/dispatcher';
import { AGE_VERIFICATION_STATES } from '../core/age-verification-notification';
import type {
  AgeVerificationNotification,
  AgeVerificationNotificationOf,
  AgeVerificationState,
} from '../core/age-verification-notification';
import { createNotificationRouter } from './notification-router';
import type { NotificationHandler } from './request';

/** A known age verification state as `.on()` accepts it, in either case. */
export type AgeVerificationStateName = AgeVerificationState | Lowercase<AgeVerificationState>;

/** Options of {@link stateRouter}. */
export interface StateRouterOptions<Extra extends string = never> {
  /**
   * States Yoti added after this package was released, which `.on()` then accepts (any
   * case). Without them, a state other than `COMPLETE`, `FAIL`, `ERROR` is a setup `TypeError`.
   */
  extraStates?: readonly Extra[];
}

/**
 * The router returned by {@link stateRouter}: an Express middleware with chainable
 * `.on` and `.onUnknown`.
 */
export interface StateRouter<Extra extends string = never> extends RequestHandler {
  /**
   * Handles one state or several (`'COMPLETE'`, `'FAIL'`, `'ERROR'` in either case, or a
   * state listed in `extraStates`). A second handler for the same state is a `TypeError`.
   */
  on<S extends AgeVerificationStateName | Extra | Uppercase<Extra> | Lowercase<Extra>>(
    state: S | readonly S[],
    handler: NotificationHandler<AgeVerificationNotificationOf<Uppercase<S>>>,
  ): this;
  /** Handles every notification no `.on` claimed, e.g. a state Yoti added. */
  onUnknown(handler: NotificationHandler<AgeVerificationNotification>): this;
  /** The states with a handler of their own, upper case, in registration order. */
  readonly states: ReadonlyArray<AgeVerificationState | Uppercase<Extra>>;
  /** Whether a notification in this state (any case) reaches a handler (`onUnknown` included). */
  handles(state: string): boolean;
}

/**
 * Routes age verification notifications (from `verifySignature()`) to a handler per
 * `state`, with the same semantics as `topicRouter()`: 200 when the handler settles,
 * `next(err)` when it throws, 200 for a state nobody handles. States match
 * case-insensitively; `.on()` with a state other than the known ones is a `TypeError` that
 * names the closest one, unless it is listed in `extraStates`.
 *
 * @example
 * stateRouter()
 *   .on('COMPLETE', (req) => grantAccess(req.notification.session_key))
 *   .on(['FAIL', 'ERROR'], (req) => recordAttempt(req.notification))
 *   .onUnknown((req) => log('new state', req.notification.state));
 */
export function stateRouter<const Extra extends string = never>(
  options: StateRouterOptions<Extra> = {},
): StateRouter<Extra> {
  return createStateRouter(options.extraStates, 'stateRouter({ extraStates: [...] })');
}

/** {@link stateRouter}, with the setup hint of the factory that builds it (a preset). */
export function createStateRouter<Extra extends string>(
  extraStates: readonly Extra[] | undefined,
  optIn: string,
): StateRouter<Extra> {
  return createNotificationRouter<StateRouter<Extra>>(
    'stateRouter',
    (notification) => (notification as { state?: unknown }).state,
    'age verification state (use verifySignature())',
    stateNames(AGE_VERIFICATION_STATES, extraStates, optIn),
  );
}
