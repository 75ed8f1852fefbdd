import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  assertStaticToken,
  authChallenge,
  credentialSet,
  findCredential,
  readCredentials,
  tokenProblem,
} from '../core/auth';
import type { AuthScheme, CredentialSet } from '../core/auth';
import type { IdvNotification, UnknownIdvNotification } from '../core/idv-notification';
import { AuthInvalidError } from '../core/errors';
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
 * Tokens are compared as bytes, the header's bytes against each token's UTF-8, so a token
 * of any content matches however the header spells the scheme (`Bearer`, `bearer`) and
 * however many spaces follow it. The comparison is constant-time, every candidate every
 * time, over a common zero-padded width, so the timing shows neither a match nor a token's
 * length. On
 * success `req.notificationAuth` tells the scheme and which candidate matched (its index,
 * never the secret).
 *
 * Errors: 401 `AUTH_MISSING` (no header of this scheme) and 401 `AUTH_INVALID` (malformed,
 * wrong or expired; in `jwt` mode also a token without a finite `exp`, or older than
 * `maxTokenAge`), both with `WWW-Authenticate`. A token function's answer that is not a
 * usable token (not a string, empty, or one {@link authHeader}'s setup would refuse, such as
 * `'tok\n'`) matches nothing: 401 `AUTH_INVALID`, whose message then says why, never the
 * token.
 *
 * @throws {TypeError} at setup: unknown scheme, neither or both of `token` and `jwt`, an
 *   empty token, a Promise where a token belongs ("did you forget await?"), a token with
 *   whitespace at either end (a trailing newline, say) or a control character, a Basic
 *   token without a colon, `jwt` with `basic`, a JWT secret under 32 bytes, a bad
 *   `clockTolerance` or `maxTokenAge`.
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
  const invalid = (why?: string) =>
    new AuthInvalidError(
      why === undefined
        ? 'Credentials are not valid'
        : `Credentials are not valid: the token function returned an unusable token (${why})`,
      authChallenge(scheme, realm, true),
    );

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
      // A JWT is ASCII: any other byte stays itself and fails its verification.
      verifyToken(presented.toString('latin1')).then((result) => {
        if (!result.ok) return next(invalid());
        req.notificationAuth = Object.freeze({ scheme, claims: result.token.claims });
        next();
      }, next);
    };
  }

  if (typeof token !== 'function') {
    const tokens = staticList(token!, scheme, where);
    const set = credentialSet(tokens);
    // What a match proves is the same object for every request that matches a given token.
    const results = tokens.map((_, tokenIndex) => Object.freeze({ scheme, tokenIndex }));
    return function authHeaderMiddleware(req: Request, res: Response, next: NextFunction): void {
      let tokenIndex: number;
      try {
        tokenIndex = findCredential(readCredentials(req.headers.authorization, scheme, realm), set);
      } catch (error) {
        return next(error);
      }
      if (tokenIndex < 0) return next(invalid());
      req.notificationAuth = results[tokenIndex];
      next();
    };
  }

  const resolve = token;
  return function authHeaderMiddleware(req: Request, res: Response, next: NextFunction): void {
    let presented: Buffer;
    let resolved: ResolvedTokens | Promise<ResolvedTokens>;
    try {
      presented = readCredentials(req.headers.authorization, scheme, realm);
      // Only IDV notifications carry an auth header, so a parsed one here is an IDV one.
      resolved = resolve(req as TokenRequest);
    } catch (error) {
      return next(error);
    }
    const accept = (tokens: ResolvedTokens): void => {
      const { set, why } = resolvedCredentials(tokens);
      const tokenIndex = findCredential(presented, set);
      if (tokenIndex < 0) return next(invalid(why));
      req.notificationAuth = Object.freeze({ scheme, tokenIndex });
      next();
    };
    if (isPromise(resolved)) resolved.then(accept, next);
    else accept(resolved);
  };
}

function staticList(
  tokens: string | readonly string[],
  scheme: AuthScheme,
  where: string,
): readonly string[] {
  // Anything but a list is checked as one token, so that a Promise gets its own hint.
  const list: readonly unknown[] = Array.isArray(tokens) ? tokens : [tokens];
  if (list.length === 0) {
    throw new TypeError(
      `${where}: token must be a non-empty string, a list of them, or a function`,
    );
  }
  for (const one of list) assertStaticToken(scheme, one, where);
  return [...(list as readonly string[])];
}

// A resolver's answer is data about the request: anything that is not a usable token
// simply matches nothing, and keeps its index. A string that setup would have refused
// (e.g. read from a file with its newline) says why, so the mistake can be found.
function resolvedCredentials(tokens: ResolvedTokens): { set: CredentialSet; why?: string } {
  const list: readonly unknown[] =
    typeof tokens === 'string' ? [tokens] : Array.isArray(tokens) ? tokens : [];
  let why: string | undefined;
  const usable = list.map((one) => {
    if (typeof one !== 'string' || one.length === 0) return undefined;
    const problem = tokenProblem(one);
    why ??= problem;
    return problem === undefined ? one : undefined;
  });
  return { set: credentialSet(usable), why };
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}
