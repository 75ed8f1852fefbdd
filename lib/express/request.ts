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
      notificationSignature?: SignatureMatch;
      /**
       * Set by `deduplicate()`: `true` for a redelivery of a notification already handled
       * (answered 200 without running the handler), `false` for one claimed for handling;
       * absent when the notification has no de-duplication key.
       */
      notificationDuplicate?: boolean;
      /** @deprecated Use `req.notificationDuplicate`; the same value, until the next minor. */
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
