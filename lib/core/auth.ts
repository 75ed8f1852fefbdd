import { timingSafeEqual } from 'node:crypto';
import { decodeBase64 } from './base64';
import { AuthInvalidError, AuthMissingError } from './errors';
import { trimSpacesAndTabs } from './header-text';

/** The `auth_type` of an IDV session's notifications, lower-cased. */
export type AuthScheme = 'basic' | 'bearer';

/** Longest `Authorization` header considered; anything longer is rejected unread. */
export const MAX_AUTHORIZATION_LENGTH = 8192;

/**
 * Narrowest width, in bytes, over which credentials are compared. Tokens up to this long
 * (any token Yoti is likely to be given) are all compared over exactly this width.
 */
export const CREDENTIAL_COMPARE_WIDTH = 256;

/**
 * Tokens ready for comparison: each zero-padded to one common width, with its true length,
 * or a length of -1 for an unusable token (it keeps its index and matches nothing).
 *
 * A presented credential is copied into a buffer of the same width and compared with every
 * padded token by `timingSafeEqual`: the comparison takes the same time whatever the tokens
 * hold and however long they are (up to the width, a multiple of
 * {@link CREDENTIAL_COMPARE_WIDTH}), and allocates nothing per request.
 */
export interface CredentialSet {
  readonly width: number;
  readonly padded: readonly Buffer[];
  readonly lengths: readonly number[];
  /** Where a presented credential is copied for comparison; used synchronously only. */
  readonly scratch: Buffer;
}

/**
 * Prepares tokens for {@link findCredential}: strings as their UTF-8 bytes, or bytes. An
 * entry that is `undefined` stands for an unusable token: it keeps its index and matches
 * nothing.
 */
export function credentialSet(tokens: readonly (string | Uint8Array | undefined)[]): CredentialSet {
  const bytes = tokens.map((token) =>
    typeof token === 'string' ? Buffer.from(token, 'utf8') : token,
  );
  const longest = bytes.reduce((max, token) => Math.max(max, token?.length ?? 0), 0);
  const width =
    Math.ceil(Math.max(longest, 1) / CREDENTIAL_COMPARE_WIDTH) * CREDENTIAL_COMPARE_WIDTH;
  const padded = bytes.map((token) => {
    const buffer = Buffer.alloc(width);
    if (token !== undefined) buffer.set(token);
    return buffer;
  });
  // No presented credential has length -1, so an unusable token never matches.
  const lengths = bytes.map((token) => token?.length ?? -1);
  return { width, padded, lengths, scratch: Buffer.alloc(width) };
}

/**
 * Index of the first token equal to `presented`, or -1. Every token is compared in
 * constant time over the set's whole width, whatever matched before it, and the results
 * are combined without branching on them: the timing shows neither which token matched nor
 * whether one did. A credential longer than the width cannot match and is refused without
 * comparing (its sender knows its length; the width says only which multiple of
 * {@link CREDENTIAL_COMPARE_WIDTH} the longest token fits in).
 */
export function findCredential(presented: Uint8Array, set: CredentialSet): number {
  const { width, padded, lengths, scratch } = set;
  if (presented.length > width) return -1;
  scratch.fill(0);
  scratch.set(presented);
  let index = -1;
  for (let i = 0; i < padded.length; i++) {
    const equal = timingSafeEqual(scratch, padded[i]!) && lengths[i] === presented.length;
    index = equal && index < 0 ? i : index;
  }
  return index;
}

/**
 * The `WWW-Authenticate` challenge for a 401 (RFC 7617 for Basic, RFC 6750 §3 for Bearer,
 * where a rejected token adds `error="invalid_token"`).
 */
export function authChallenge(scheme: AuthScheme, realm: string, invalidToken = false): string {
  if (scheme === 'basic') return `Basic realm="${realm}", charset="UTF-8"`;
  return invalidToken
    ? `Bearer realm="${realm}", error="invalid_token"`
    : `Bearer realm="${realm}"`;
}

/**
 * Reads the credentials of the expected scheme from an `Authorization` header value as
 * Node.js gives it (a Latin-1 string, one character per byte received): for Basic the
 * decoded `username:password` bytes, for Bearer the token's bytes as they arrived, so that
 * a token of any UTF-8 content compares equal to its configured string. The scheme name is
 * case-insensitive (RFC 9110 §11.1); one or more spaces separate it from the credentials
 * (RFC 9110 §11.4), and spaces and tabs around the credentials are ignored, nothing else.
 *
 * @throws {AuthMissingError} `AUTH_MISSING`: no header, or one of another scheme.
 * @throws {AuthInvalidError} `AUTH_INVALID`: a header of this scheme that is malformed.
 */
export function readCredentials(
  header: string | undefined,
  scheme: AuthScheme,
  realm: string,
): Buffer {
  const schemeName = scheme === 'basic' ? 'Basic' : 'Bearer';
  if (header === undefined || header.length === 0) {
    throw new AuthMissingError(`Missing ${schemeName} credentials`, authChallenge(scheme, realm));
  }
  const invalid = (why: string) =>
    new AuthInvalidError(`${schemeName} credentials ${why}`, authChallenge(scheme, realm, true));
  if (header.length > MAX_AUTHORIZATION_LENGTH) throw invalid('are too long');

  const space = header.indexOf(' ');
  const given = space < 0 ? header : header.slice(0, space);
  if (given.toLowerCase() !== scheme) {
    throw new AuthMissingError(`Missing ${schemeName} credentials`, authChallenge(scheme, realm));
  }
  const value = space < 0 ? '' : trimSpacesAndTabs(header.slice(space + 1));
  if (value.length === 0) throw invalid('are empty');
  if (scheme === 'bearer') return Buffer.from(value, 'latin1');

  const decoded = decodeBase64(value);
  if (decoded === undefined) throw invalid('are not valid base64');
  if (!decoded.includes(0x3a)) throw invalid('have no colon between user and password');
  return decoded;
}

/**
 * Why a token can never arrive as configured, or `undefined` when it can. The reason is a
 * hint for a setup error and never quotes the token: whitespace at either end (HTTP drops
 * spaces around a header value, and a newline cannot be sent at all: usually a token read
 * from a file or an environment variable), or a control character, which a header cannot
 * carry.
 */
export function tokenProblem(token: string): string | undefined {
  if (/[\r\n]$/.test(token)) {
    return 'the token ends with a newline (read from a file or an environment variable?): trim it';
  }
  if (/\s$/.test(token)) return 'the token ends with whitespace: trim it';
  if (/^\s/.test(token)) return 'the token starts with whitespace: trim it';
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  const control = /[\0-\x1f\x7f]/.exec(token);
  if (control !== null) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return (
      `the token holds a control character (U+${code} at index ${control.index}), ` +
      'which a header cannot carry'
    );
  }
  return undefined;
}

/**
 * Checks that a token option is a non-empty string, and says "did you forget await?" for
 * a Promise (e.g. `createNotificationToken()` without `await`).
 *
 * @throws {TypeError} for anything else, naming `where`.
 */
export function assertTokenString(token: unknown, where: string): asserts token is string {
  if (typeof (token as { then?: unknown } | null)?.then === 'function') {
    throw new TypeError(`${where}: token is a Promise, not a string: did you forget await?`);
  }
  if (typeof token !== 'string' || token.length === 0) {
    throw new TypeError(`${where}: token must be a non-empty string (the session's auth_token)`);
  }
}

/**
 * Checks one configured `auth_token` for its scheme, as `authHeader()` and
 * `idvNotificationConfig()` both need it: a known scheme, a non-empty string that a header
 * can carry as it is (see {@link tokenProblem}), with a colon for Basic.
 *
 * @throws {TypeError} for an unknown scheme, a Promise, an empty token, whitespace at either
 *   end, a control character, or a Basic token without a colon; the message names `where`
 *   and never quotes the token.
 */
export function assertStaticToken(
  scheme: unknown,
  token: unknown,
  where: string,
): asserts token is string {
  if (scheme !== 'basic' && scheme !== 'bearer') {
    throw new TypeError(`${where}: scheme must be 'basic' or 'bearer'`);
  }
  assertTokenString(token, where);
  const problem = tokenProblem(token);
  if (problem !== undefined) throw new TypeError(`${where}: ${problem}`);
  if (scheme === 'basic' && !token.includes(':')) {
    throw new TypeError(`${where}: a Basic token is 'username:password'; this one has no colon`);
  }
}
