import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthInvalidError, AuthMissingError } from './errors';

/** The `auth_type` of an IDV session's notifications, lower-cased. */
export type AuthScheme = 'basic' | 'bearer';

/** Longest `Authorization` header considered; anything longer is rejected unread. */
export const MAX_AUTHORIZATION_LENGTH = 8192;

// Credentials are compared as keyed digests: SHA-256 of a key drawn at start-up followed by
// the credential. Every digest is 32 bytes whatever the secret's length, so the comparison
// time tells nothing about the length, and nobody can precompute a digest that collides
// with a configured token. Digests never leave the process, so length extension does not
// apply; the one-shot hash is used rather than createHmac() because a Hmac object per
// request measurably lowers a server's throughput (see the benchmarks).
const DIGEST_KEY = randomBytes(32);

/** The keyed digest a presented credential or a configured token is compared by. */
export function credentialDigest(bytes: string | Uint8Array): Buffer {
  const data = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  return hash('sha256', Buffer.concat([DIGEST_KEY, data]), 'buffer');
}

/**
 * Index of the first candidate digest equal to `presented`'s, or -1. Every candidate is
 * compared, in constant time, whatever matched before it.
 */
export function findCredential(presented: Uint8Array, candidates: readonly Buffer[]): number {
  const digest = credentialDigest(presented);
  let index = -1;
  for (let i = 0; i < candidates.length; i++) {
    const equal = timingSafeEqual(digest, candidates[i] as Buffer);
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
