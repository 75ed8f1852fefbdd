import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthInvalidError, AuthMissingError } from './errors';

/** The `auth_type` of an IDV session's notifications, lower-cased. */
export type AuthScheme = 'basic' | 'bearer';

/** Longest `Authorization` header considered; anything longer is rejected unread. */
export const MAX_AUTHORIZATION_LENGTH = 8192;

/**
 * Tokens ready for comparison: the SHA-256 digest of each token's bytes, or `undefined` for
 * an unusable token (it keeps its index and matches nothing).
 *
 * Credentials are compared as digests, one way for every token and every request: two
 * 32-byte digests compare in the same time whatever the tokens hold and however long they
 * are, with no width to choose and nothing to pad, and a digest match is a byte-for-byte
 * match (SHA-256 has no known collisions). Hashing the presented credential takes time in
 * its own length only, which the sender already knows.
 */
export interface CredentialSet {
  readonly digests: readonly (Buffer | undefined)[];
}

const digest = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest();

// What an unusable entry is compared with, so that it takes the time of any other.
const NO_TOKEN = Buffer.alloc(32);

/**
 * Prepares tokens for {@link findCredential}: strings as their UTF-8 bytes, or bytes. An
 * entry that is `undefined` stands for an unusable token: it keeps its index and matches
 * nothing.
 */
export function credentialSet(tokens: readonly (string | Uint8Array | undefined)[]): CredentialSet {
  return {
    digests: tokens.map((token) =>
      token === undefined
        ? undefined
        : digest(typeof token === 'string' ? Buffer.from(token, 'utf8') : token),
    ),
  };
}

/**
 * Index of the first token equal to `presented`, or -1. Every token is compared in
 * constant time, whatever matched before it, and the results are combined without
 * branching on them: the timing shows neither which token matched nor whether one did.
 */
export function findCredential(presented: Uint8Array, set: CredentialSet): number {
  const given = digest(presented);
  let index = -1;
  for (let i = 0; i < set.digests.length; i++) {
    const expected = set.digests[i];
    const equal = timingSafeEqual(given, expected ?? NO_TOKEN) && expected !== undefined;
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

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

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

  if (!BASE64.test(value) || value.length % 4 !== 0) throw invalid('are not valid base64');
  const decoded = Buffer.from(value, 'base64');
  if (!decoded.includes(0x3a)) throw invalid('have no colon between user and password');
  return decoded;
}

// Only what HTTP treats as whitespace around a value (SP, HTAB): `String.prototype.trim`
// would also drop 0xA0, the last byte of the UTF-8 of 'à'. A loop, not a regex anchored at
// the end, which backtracks quadratically on a long run of spaces.
function trimSpacesAndTabs(text: string): string {
  const blank = (i: number) => text[i] === ' ' || text[i] === '\t';
  let start = 0;
  let end = text.length;
  while (start < end && blank(start)) start++;
  while (end > start && blank(end - 1)) end--;
  return text.slice(start, end);
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
