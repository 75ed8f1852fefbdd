import { timingSafeEqual } from 'node:crypto';
import { AuthInvalidError, AuthMissingError } from './errors';

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
 * Tokens ready for comparison: each zero-padded to one common width, with its true length.
 * The comparison then takes the same time whatever a token holds and however long it is
 * (up to the width), without hashing anything per request.
 */
export interface CredentialSet {
  /** The common width: {@link CREDENTIAL_COMPARE_WIDTH}, or a multiple of it for longer tokens. */
  readonly width: number;
  readonly padded: readonly Buffer[];
  readonly lengths: readonly number[];
  /** Where a presented credential is copied for comparison; used synchronously only. */
  readonly scratch: Buffer;
}

/**
 * Prepares tokens for {@link findCredential}. An entry that is `undefined` stands for an
 * unusable token: it keeps its index and matches nothing.
 */
export function credentialSet(tokens: readonly (string | Uint8Array | undefined)[]): CredentialSet {
  const bytes = tokens.map((token) =>
    token === undefined
      ? undefined
      : typeof token === 'string'
        ? Buffer.from(token, 'utf8')
        : token,
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
 * Index of the first token equal to `presented`, or -1. Every token is compared, in
 * constant time, over the set's whole width, whatever matched before it; a credential
 * longer than the width cannot match and is refused without comparing.
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
 * A matcher of whole `Authorization` values written exactly as a sender writes them for the
 * configured tokens: `Basic ` and the canonical base64 of `username:password`, or `Bearer `
 * and the token. It returns the index of the first token whose value equals the header, or
 * -1, from one constant-time pass per token over a fixed width (as {@link findCredential}),
 * decoding nothing. A header it does not match may still be valid (another case of the
 * scheme name, extra spaces, non-canonical base64): those take the general path,
 * {@link readCredentials} and {@link findCredential}, which accepts everything this does.
 */
export function exactHeaderMatcher(
  scheme: AuthScheme,
  tokens: readonly string[],
): (header: string) => number {
  // Header values are read as Latin-1, one character per byte: so are these.
  const values = tokens.map((token) => {
    const bytes = Buffer.from(token, 'utf8');
    return scheme === 'basic'
      ? `Basic ${bytes.toString('base64')}`
      : `Bearer ${bytes.toString('latin1')}`;
  });
  const longest = values.reduce((max, value) => Math.max(max, value.length), 0);
  const width = Math.ceil(longest / CREDENTIAL_COMPARE_WIDTH) * CREDENTIAL_COMPARE_WIDTH;
  const padded = values.map((value) => value.padEnd(width, '\0'));
  const lengths = values.map((value) => value.length);
  return (header) => {
    const length = header.length;
    if (length > width) return -1;
    let index = -1;
    for (let t = 0; t < padded.length; t++) {
      const expected = padded[t]!;
      // Branch-free on the secret: every character of the width is compared, whatever differs.
      let difference = length ^ lengths[t]!;
      for (let i = 0; i < width; i++) {
        difference |= (i < length ? header.charCodeAt(i) : 0) ^ expected.charCodeAt(i);
      }
      index = difference === 0 && index < 0 ? t : index;
    }
    return index;
  };
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
 * Reads the credentials of the expected scheme from an `Authorization` header: for Basic
 * the decoded `username:password` bytes, for Bearer the token's bytes. The scheme name is
 * case-insensitive (RFC 9110 §11.1).
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
  const value = space < 0 ? '' : header.slice(space + 1).trim();
  if (value.length === 0) throw invalid('are empty');
  if (scheme === 'bearer') return Buffer.from(value, 'utf8');

  if (!BASE64.test(value) || value.length % 4 !== 0) throw invalid('are not valid base64');
  const decoded = Buffer.from(value, 'base64');
  if (!decoded.includes(0x3a)) throw invalid('have no colon between user and password');
  return decoded;
}
