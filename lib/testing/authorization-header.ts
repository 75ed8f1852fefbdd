import type { AuthScheme } from '../core/auth';

/** The credentials of an IDV session's notifications: its `auth_type` and `auth_token`. */
export interface TestAuth {
  /** `'basic'` or `'bearer'`, the session's `auth_type` lower-cased. */
  readonly scheme: AuthScheme;
  /** The session's `auth_token`: `'username:password'` for Basic, the token for Bearer. */
  readonly token: string;
}

/**
 * The `Authorization` header Yoti sends for a session's notifications: `Basic ` and the
 * base64 of the UTF-8 `auth_token` for Basic, `Bearer ` and the token unchanged for Bearer.
 * The token is not checked for a colon, so that malformed credentials can be tested too.
 *
 * @throws {TypeError} for an unknown scheme or an empty token.
 * @example
 * authorizationHeader({ scheme: 'basic', token: 'username:password' });
 * // 'Basic dXNlcm5hbWU6cGFzc3dvcmQ='
 * authorizationHeader({ scheme: 'bearer', token: 'abc' }); // 'Bearer abc'
 */
export function authorizationHeader(auth: TestAuth): string {
  if (auth === null || typeof auth !== 'object') {
    throw new TypeError('authorizationHeader: expected { scheme, token }');
  }
  const { scheme, token } = auth;
  if (typeof token !== 'string' || token.length === 0) {
    throw new TypeError('authorizationHeader: token must be a non-empty string');
  }
  if (scheme === 'basic') return 'Basic ' + Buffer.from(token, 'utf8').toString('base64');
  if (scheme === 'bearer') return 'Bearer ' + token;
  throw new TypeError(
    `authorizationHeader: unknown scheme ${JSON.stringify(scheme)} (use 'basic' or 'bearer')`,
  );
}
