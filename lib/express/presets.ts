import type { RequestHandler } from 'express';
import type {
  AgeVerificationNotification,
  AgeVerificationNotificationOf,
  AgeVerificationState,
} from '../core/age-verification-notification';
import type {
  IdvNotification,
  IdvNotificationOf,
  IdvTopic,
  UnknownIdvNotification,
} from '../core/idv-notification';
import { authHeader } from './auth-header';
import type { AuthHeaderOptions } from './auth-header';
import { parseIdvNotification } from './parse-idv-notification';
import { rawBody } from './raw-body';
import type { RawBodyOptions } from './raw-body';
import type { NotificationHandler } from './request';
import { stateRouter } from './state-router';
import { topicRouter } from './topic-router';
import { verifySignature } from './verify-signature';
import type { VerifySignatureOptions } from './verify-signature';

/** One handler per IDV topic, each seeing its own narrowed notification. */
export type IdvHandlers = { [T in IdvTopic]?: NotificationHandler<IdvNotificationOf<T>> };

/** Options of {@link idvNotifications}. */
export interface IdvNotificationsOptions {
  /** The `authHeader()` options: `{ scheme, token }` or `{ scheme: 'bearer', jwt }`. */
  auth: AuthHeaderOptions;
  /** Body size limit (default 64 KiB). */
  limit?: RawBodyOptions['limit'];
  /** Handlers by topic. */
  handlers: IdvHandlers;
  /** Handler for every notification no topic handler claims. */
  onUnknown?: NotificationHandler<IdvNotification | UnknownIdvNotification>;
}

/**
 * The whole IDV chain in one call: `authHeader` → `rawBody` → `parseIdvNotification` →
 * `topicRouter`, as an array of middlewares for `app.use(path, …)` or `app.post(path, …)`.
 * With a `token` function, `authHeader` runs after parsing, so that the function can read
 * `req.notification.session_id`; otherwise it runs first and unauthenticated bodies are
 * never read.
 *
 * @throws {TypeError} at setup, for any bad option of the middlewares it composes.
 * @example
 * app.use('/yoti/idv', idvNotifications({
 *   auth: { scheme: 'bearer', token: process.env.YOTI_NOTIFY_TOKEN! },
 *   handlers: { session_completion: (req) => fetchResult(req.notification.session_id) },
 * }));
 */
export function idvNotifications(options: IdvNotificationsOptions): RequestHandler[] {
  const router = topicRouter();
  for (const [topic, handler] of handlerEntries(options, 'idvNotifications')) {
    router.on(topic, handler as NotificationHandler<UnknownIdvNotification>);
  }
  if (options.onUnknown !== undefined) router.onUnknown(options.onUnknown);
  const auth = authHeader(options.auth);
  const body = rawBody(options.limit === undefined ? {} : { limit: options.limit });
  return typeof options.auth.token === 'function'
    ? [body, parseIdvNotification(), auth, router]
    : [auth, body, parseIdvNotification(), router];
}

/** One handler per age verification state, each seeing its narrowed notification. */
export type AgeVerificationHandlers = {
  [S in AgeVerificationState]?: NotificationHandler<AgeVerificationNotificationOf<S>>;
};

/** Options of {@link ageVerificationNotifications}. */
export interface AgeVerificationNotificationsOptions extends VerifySignatureOptions {
  /** Body size limit (default 64 KiB). */
  limit?: RawBodyOptions['limit'];
  /** Handlers by state. */
  handlers: AgeVerificationHandlers;
  /** Handler for every notification no state handler claims (e.g. a new state). */
  onUnknown?: NotificationHandler<AgeVerificationNotification>;
}

/**
 * The whole age verification chain in one call: `rawBody` → `verifySignature` →
 * `stateRouter`, as an array of middlewares. Defaults to Yoti's published key.
 *
 * @throws {TypeError} at setup, for any bad option of the middlewares it composes.
 * @example
 * app.use('/yoti/age', ageVerificationNotifications({
 *   handlers: { COMPLETE: (req) => grantAccess(req.notification.session_key) },
 * }));
 */
export function ageVerificationNotifications(
  options: AgeVerificationNotificationsOptions,
): RequestHandler[] {
  const router = stateRouter();
  for (const [state, handler] of handlerEntries(options, 'ageVerificationNotifications')) {
    router.on(state, handler as NotificationHandler<AgeVerificationNotification>);
  }
  if (options.onUnknown !== undefined) router.onUnknown(options.onUnknown);
  const { limit, handlers: _handlers, onUnknown: _onUnknown, ...verifyOptions } = options;
  return [rawBody(limit === undefined ? {} : { limit }), verifySignature(verifyOptions), router];
}

function handlerEntries(options: { handlers?: object }, where: string): Array<[string, unknown]> {
  if (options === null || typeof options !== 'object')
    throw new TypeError(`${where}: options are required`);
  const { handlers } = options;
  if (handlers === null || typeof handlers !== 'object') {
    throw new TypeError(`${where}: handlers must be an object of handlers by name`);
  }
  return Object.entries(handlers).filter(([, handler]) => handler !== undefined);
}
