// The one place where Express's `Request` is augmented with what this package attaches.
import type { Request, Response } from 'express';
import type { JWTPayload } from 'jose';
import type { AuthScheme } from '../core/auth';
import type { SignatureMatch } from '../core/age-verification';
import type { Notification } from '../core/notification';

/** What `authHeader()` proved, on `req.notificationAuth`. Never holds the secret. */
export interface NotificationAuth {
  /** The scheme that was checked. */
  readonly scheme: AuthScheme;
  /** Index of the configured (or resolved) token that matched; absent in `jwt` mode. */
  readonly tokenIndex?: number;
  /** The verified JWT's claims, in `jwt` mode. */
  readonly claims?: JWTPayload;
}

/** How `verifySignature()` verified the notification, on `req.notificationSignature`. */
export type NotificationSignature = SignatureMatch;

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The exact request body bytes, set by `rawBody()` or `keepRawBody`. */
      rawBody?: Buffer;
      /** The validated, frozen notification, set by `parseIdvNotification()` or `verifySignature()`. */
      notification?: Notification;
      /** What `authHeader()` proved. */
      notificationAuth?: NotificationAuth;
      /** How `verifySignature()` verified the notification. */
      notificationSignature?: NotificationSignature;
      /**
       * Set by `deduplicate()`: `true` for a redelivery of a notification already handled
       * (answered 200 without running the handler), `false` for one claimed for handling;
       * absent when the notification has no de-duplication key.
       */
      duplicate?: boolean;
    }
  }
}

/** An Express request whose `notification` is known to be `N`. */
export type NotificationRequest<N> = Request & { notification: N };

/**
 * A notification handler. It may be async; when it settles without having responded, the
 * router answers 200. A throw or rejection goes to `next(err)`, so the response is a 5xx
 * and Yoti redelivers.
 */
export type NotificationHandler<N> = (
  req: NotificationRequest<N>,
  res: Response,
) => unknown | Promise<unknown>;

const PROBE_FIRST = Symbol('express-yoti-notifications.shapeProbe.first');
const PROBE_SECOND = Symbol('express-yoti-notifications.shapeProbe.second');

/**
 * Whether the JavaScript engine, going by its `process.versions.v8`, gives each Express
 * request and response a hidden class of its own: V8 before 13 (Node 20 to 23) does; V8 13.6
 * (Node 24) and later share them, as does any engine that is not V8 for this purpose.
 */
export function hiddenClassesDiverge(v8Version: string | undefined): boolean {
  const major = Number.parseInt(v8Version ?? '', 10);
  return major < 13;
}

const DIVERGE = hiddenClassesDiverge(process.versions.v8);

/**
 * On the engines where it pays ({@link hiddenClassesDiverge}), puts the request's and the
 * response's properties in dictionary mode, before this package reads them or sets its own
 * fields. Nothing observable changes: two private symbols are set on each and deleted again.
 *
 * Why: on V8 before 13, Express's `Object.setPrototypeOf` on every request and response gives
 * each of these objects a hidden class (map) of its own. Every property set on one afterwards
 * then builds one more map, and every property read that follows, in Express, in Node's HTTP
 * code and here, misses V8's caches, which are keyed by map: about 3 µs per property set,
 * measured. Deleting a property other than the last one added turns an object to dictionary
 * properties, whose map all such objects share, so the caches hit and each later field costs
 * a hash insert. Measured with the IDV chain: 25% to 31% less server CPU per request on Node
 * 20 (Express 5 and 4), 26% less on Node 22. On Node 24 the maps are shared already, and the
 * switch would cost 25% more, so it is skipped there.
 */
export function shareShapes(req: object, res: unknown): void {
  if (!DIVERGE) return;
  toDictionaryProperties(req);
  toDictionaryProperties(res);
}

function toDictionaryProperties(object: unknown): void {
  // False for anything that is not an object, too.
  if (!Object.isExtensible(object)) return;
  const probe = object as Record<symbol, unknown>;
  probe[PROBE_FIRST] = undefined;
  probe[PROBE_SECOND] = undefined;
  delete probe[PROBE_FIRST];
  delete probe[PROBE_SECOND];
}
