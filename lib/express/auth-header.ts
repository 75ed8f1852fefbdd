import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  authChallenge,
  credentialSet,
  exactHeaderMatcher,
  findCredential,
  readCredentials,
} from '../core/auth';
import type { AuthScheme, CredentialSet } from '../core/auth';
import type { IdvNotification, UnknownIdvNotification } from '../core/idv-notification';
import { AuthInvalidError } from '../core/errors';
import { assertStaticToken } from '../core/notification-config';
import { createTokenVerifier } from '../core/notification-token';
import type { NotificationTokenVerifyOptions } from '../core/notification-token';
import './request';

/** One token, several (rotation), or none (`undefined`: no notification is expected). */
export type ResolvedTokens = string | readonly string[] | undefined;

/**
 * Where the expected `auth_token` comes from: a string, a list (rotation: any of them is
 * accepted), or a function of the request returning either, sync or async, e.g. a token
 * stored per session and looked up by `req.notification.session_id` (mount
 * `authHeader()` after `rawBody()` and `parseIdvNotification()` for that).
 */
export type TokenSource =
  string | readonly string[] | ((req: TokenRequest) => ResolvedTokens | Promise<ResolvedTokens>);

/**
 * The request a token function sees: when `authHeader()` is mounted after
 * `parseIdvNotification()`, `req.notification` is the parsed IDV notification.
 */
export type TokenRequest = Request & { notification?: IdvNotification | UnknownIdvNotification };

/** Options of {@link authHeader}. Give exactly one of `token` and `jwt`. */
export interface AuthHeaderOptions {
  /** The session's `auth_type`, lower-cased. */
  scheme: AuthScheme;
  /** The session's `auth_token`: for `basic`, the `username:password` string. */
  token?: TokenSource;
  /** Bearer only: accept JWTs made by `createNotificationToken()` instead of fixed tokens. */
  jwt?: NotificationTokenVerifyOptions;
  /** The realm named in `WWW-Authenticate`. Default `'yoti-notifications'`. */
  realm?: string;
}

const DEFAULT_REALM = 'yoti-notifications';

/**
 * Checks the `Authorization` header Yoti sends with IDV notifications.
 *
 * - `basic`: `Basic base64(auth_token)`, compared with the `username:password` token.
 * - `bearer`: `Bearer auth_token`, compared with the token, or verified as a JWT (`jwt`:
 *   signature, `exp`, `nbf`, an algorithm allow-list; claims land on `req.notificationAuth.claims`).
 *
 * Tokens are compared in constant time, every candidate every time, each zero-padded to one
 * fixed width (256 bytes, or a multiple for longer tokens), so the timing shows neither a
 * match nor a token's length. On success `req.notificationAuth` tells the
 * scheme and which candidate matched (its index, never the secret).
 *
 * Errors: 401 `AUTH_MISSING` (no header of this scheme) and 401 `AUTH_INVALID` (malformed,
 * wrong or expired), both with `WWW-Authenticate`.
 *
 * @throws {TypeError} at setup: unknown scheme, neither or both of `token` and `jwt`, an
 *   empty token, a Basic token without a colon, `jwt` with `basic`, a JWT secret under 32 bytes.
 * @example
 * app.post('/yoti/idv', authHeader({ scheme: 'basic', token: process.env.YOTI_NOTIFY_TOKEN! }), …);
 */
export function authHeader(options: AuthHeaderOptions): RequestHandler {
  const where = 'authHeader';
  const { scheme, token, jwt, realm = DEFAULT_REALM } = options ?? ({} as AuthHeaderOptions);
  if (scheme !== 'basic' && scheme !== 'bearer') {
    throw new TypeError(`${where}: scheme must be 'basic' or 'bearer'`);
  }
  if (typeof realm !== 'string' || !/^[\x20-\x7e]*$/.test(realm) || /["\\]/.test(realm)) {
    throw new TypeError(`${where}: realm must be printable ASCII without quotes or backslashes`);
  }
  if ((token === undefined) === (jwt === undefined)) {
    throw new TypeError(`${where}: give exactly one of token and jwt`);
  }
  const invalid = () =>
    new AuthInvalidError('Credentials are not valid', authChallenge(scheme, realm, true));

  if (jwt !== undefined) {
    if (scheme !== 'bearer') throw new TypeError(`${where}: jwt needs scheme 'bearer'`);
    const verifyToken = createTokenVerifier(jwt, where);
    return function authHeaderMiddleware(req: Request, res: Response, next: NextFunction): void {
      let presented: Buffer;
      try {
        presented = readCredentials(req.headers.authorization, scheme, realm);
      } catch (error) {
        return next(error);
      }
      verifyToken(presented.toString('utf8')).then((result) => {
        if (!result.ok) return next(invalid());
        req.notificationAuth = Object.freeze({ scheme, claims: result.token.claims });
        next();
      }, next);
    };
  }

  const staticTokens = typeof token === 'function' ? undefined : staticList(token!, scheme, where);
  const staticSet = staticTokens && credentialSet(staticTokens);
  const exactHeader = staticTokens && exactHeaderMatcher(scheme, staticTokens);
  // What a match proves is the same object for every request that matches a given token.
  const staticResults = staticTokens?.map((_, tokenIndex) => Object.freeze({ scheme, tokenIndex }));
  const resolve = typeof token === 'function' ? token : undefined;

  return function authHeaderMiddleware(req: Request, res: Response, next: NextFunction): void {
    const header = req.headers.authorization;
    // The common case, a header written exactly as Yoti writes it for a configured token,
    // is settled without decoding; anything else takes the general path below.
    if (exactHeader !== undefined && header !== undefined) {
      const tokenIndex = exactHeader(header);
      if (tokenIndex >= 0) {
        req.notificationAuth = staticResults![tokenIndex];
        return next();
      }
    }
    let presented: Buffer;
    try {
      presented = readCredentials(header, scheme, realm);
    } catch (error) {
      return next(error);
    }
    const accept = (candidates: CredentialSet): void => {
      const tokenIndex = findCredential(presented, candidates);
      if (tokenIndex < 0) return next(invalid());
      req.notificationAuth = staticResults?.[tokenIndex] ?? Object.freeze({ scheme, tokenIndex });
      next();
    };
    if (staticSet) return accept(staticSet);

    let resolved: ResolvedTokens | Promise<ResolvedTokens>;
    try {
      // Only IDV notifications carry an auth header, so a parsed one here is an IDV one.
      resolved = resolve!(req as TokenRequest);
    } catch (error) {
      return next(error);
    }
    if (isPromise(resolved)) {
      resolved.then((tokens) => accept(resolvedCredentials(tokens)), next);
    } else {
      accept(resolvedCredentials(resolved));
    }
  };
}

function staticList(
  tokens: string | readonly string[],
  scheme: AuthScheme,
  where: string,
): readonly string[] {
  const list: readonly unknown[] = typeof tokens === 'string' ? [tokens] : tokens;
  if (!Array.isArray(list) || list.length === 0) {
    throw new TypeError(
      `${where}: token must be a non-empty string, a list of them, or a function`,
    );
  }
  for (const one of list) assertStaticToken(scheme, one, where);
  return [...(list as readonly string[])];
}

// A resolver's answer is data about the request: anything that is not a usable token
// simply matches nothing, and keeps its index.
function resolvedCredentials(tokens: ResolvedTokens): CredentialSet {
  const list: readonly unknown[] =
    typeof tokens === 'string' ? [tokens] : Array.isArray(tokens) ? tokens : [];
  return credentialSet(
    list.map((one) => (typeof one === 'string' && one.length > 0 ? one : undefined)),
  );
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}
