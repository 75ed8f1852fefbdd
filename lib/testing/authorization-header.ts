import { assertTokenString, tokenProblem } from '../core/auth';
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
 * base64 of the UTF-8 `auth_token` for Basic, `Bearer ` and the token's UTF-8 bytes for
 * Bearer. The result is the string Node.js sends byte for byte (one Latin-1 character per
 * byte), so a non-ASCII token arrives as its UTF-8, as Yoti sends it. A Basic token is not
 * checked for a colon or its whitespace (they are base64-encoded), so that malformed
 * credentials can be tested too.
 *
 * @throws {TypeError} for an unknown scheme, an empty token, a Promise ("did you forget
 *   await?"), or a Bearer token that a header cannot carry as it is (whitespace at either
 *   end, such as a trailing newline, or a control character), with a hint.
 * @example
 * authorizationHeader({ scheme: 'basic', token: 'username:password' });
 * // 'Basic dXNlcm5hbWU6cGFzc3dvcmQ='
 * authorizationHeader({ scheme: 'bearer', token: 'abc' }); // 'Bearer abc'
 */
export function authorizationHeader(auth: TestAuth): string {
  const where = 'authorizationHeader';
  if (auth === null || typeof auth !== 'object') {
    throw new TypeError(`${where}: expected { scheme, token }`);
  }
  const { scheme, token } = auth;
  assertTokenString(token, where);
  const bytes = Buffer.from(token, 'utf8');
  if (scheme === 'basic') return 'Basic ' + bytes.toString('base64');
  if (scheme === 'bearer') {
    const problem = tokenProblem(token);
    if (problem !== undefined) throw new TypeError(`${where}: ${problem}`);
    return 'Bearer ' + bytes.toString('latin1');
  }
  throw new TypeError(
    `${where}: unknown scheme ${JSON.stringify(scheme)} (use 'basic' or 'bearer')`,
  );
}
