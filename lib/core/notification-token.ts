import type { KeyObject } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT, UnsecuredJWT } from 'jose';
import type { JWTPayload } from 'jose';
import { toKeyObject } from './key-import';
import type { KeyInput } from './key-import';

/** An HMAC secret: at least 32 bytes, as a string (UTF-8) or bytes. */
export type Secret = string | Uint8Array;

const MIN_SECRET_BYTES = 32;

/** Options of {@link createNotificationToken}. Give exactly one of `secret` and `privateKey`. */
export interface NotificationTokenOptions {
  /** HS256 secret, at least 32 bytes. */
  secret?: Secret;
  /** Private key (PEM PKCS#8, JWK, `KeyObject` or `CryptoKey`); signs with its own algorithm. */
  privateKey?: KeyInput;
  /**
   * Lifetime: a time span such as `'30d'` or `'12h'`, or a number of seconds from now.
   * Yoti sends notifications for as long as the session lives, and retries: choose the
   * session's lifetime plus a margin.
   */
  expiresIn: string | number;
  /** Extra claims, e.g. `{ sub: sessionReference }`. */
  claims?: JWTPayload;
  /** `iss` claim. */
  issuer?: string;
  /** `aud` claim. */
  audience?: string | string[];
}

/** Options of the `jwt` mode of `authHeader()`. Give exactly one of `secret` and `publicKey`. */
export interface NotificationTokenVerifyOptions {
  /** The HS256 secret the tokens were made with (at least 32 bytes). */
  secret?: Secret;
  /** The public key matching the `privateKey` the tokens were made with. */
  publicKey?: KeyInput;
  /** Required `iss`. */
  issuer?: string | string[];
  /** Required `aud`. */
  audience?: string | string[];
  /** Allowed clock skew for `exp` and `nbf`: seconds, or a span such as `'30s'`. Default 0. */
  clockTolerance?: string | number;
  /**
   * Longest accepted age of a token, counted from its `iat`: seconds, or a span such as
   * `'30d'`. A cap on top of `exp`, e.g. to retire long-lived tokens early. With it, a
   * token without `iat` is refused (`createNotificationToken()` always sets `iat`).
   * Default: none (`exp` alone decides).
   */
  maxTokenAge?: string | number;
  /**
   * Accepted `alg` values. Default: the one algorithm of the key (`HS256` for a secret).
   * `none` is never accepted.
   */
  algorithms?: string[];
}

type SigningKey = { key: KeyObject | Uint8Array; alg: string };

/**
 * Mints a JWT to use as an IDV session's Bearer `auth_token`, so that each session's
 * notifications can be authenticated without a database: `authHeader({ scheme: 'bearer',
 * jwt: { secret } })` verifies it and exposes its claims.
 *
 * @throws {TypeError} for a missing `expiresIn`, a secret under 32 bytes, both or neither
 *   of `secret` and `privateKey`, or an unreadable or public key.
 * @example
 * const token = await createNotificationToken({
 *   secret: process.env.YOTI_NOTIFY_SECRET!,
 *   expiresIn: '30d',
 *   claims: { sub: order.id },
 * });
 * idvNotificationConfig({ endpoint, auth: { scheme: 'bearer', token }, topics });
 */
export async function createNotificationToken(options: NotificationTokenOptions): Promise<string> {
  const { key, alg } = signingKey(options);
  const expiresIn = options.expiresIn;
  if (typeof expiresIn === 'number') {
    if (!Number.isFinite(expiresIn) || expiresIn <= 0) {
      throw new TypeError(
        'createNotificationToken: expiresIn must be a positive number of seconds',
      );
    }
  } else if (typeof expiresIn !== 'string' || expiresIn.length === 0) {
    throw new TypeError(
      "createNotificationToken: expiresIn is required, e.g. '30d' or a number of seconds",
    );
  }
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ ...options.claims })
    .setProtectedHeader({ alg, typ: 'JWT' })
    .setIssuedAt(now)
    // jose reads a number as an absolute time; ours is a span from now.
    .setExpirationTime(typeof expiresIn === 'number' ? now + Math.ceil(expiresIn) : expiresIn);
  if (options.issuer !== undefined) jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt.setAudience(options.audience);
  return jwt.sign(key);
}

function signingKey(options: NotificationTokenOptions): SigningKey {
  if ((options.secret === undefined) === (options.privateKey === undefined)) {
    throw new TypeError('createNotificationToken: give exactly one of secret and privateKey');
  }
  if (options.secret !== undefined) {
    return { key: secretBytes(options.secret, 'createNotificationToken'), alg: 'HS256' };
  }
  const key = toKeyObject(options.privateKey as KeyInput, 'private', 'createNotificationToken');
  return { key, alg: algorithmOf(key, 'createNotificationToken') };
}

/** What a verified notification token yields. */
export interface VerifiedToken {
  /** The token's claims. */
  claims: JWTPayload;
  /** The `alg` it was signed with. */
  alg: string;
}

/** The outcome of verifying a token: its claims, or why it was refused (no secret in it). */
export type TokenVerification = { ok: true; token: VerifiedToken } | { ok: false; reason: string };

/**
 * Builds the verifier of notification tokens once, at setup (keys are imported and checked
 * here). A token must be signed with an allowed algorithm and carry a finite numeric `exp`
 * that has not passed; `nbf`, `iss`, `aud` and `maxTokenAge` are checked when present or
 * configured. The returned function never throws for a bad token: it reports why.
 *
 * @throws {TypeError} for a secret under 32 bytes, both or neither of `secret` and
 *   `publicKey`, an unreadable key, a private key, or a `clockTolerance` or `maxTokenAge`
 *   that is not a span (`'30s'`, `'30d'`) or a non-negative number of seconds.
 */
export function createTokenVerifier(
  options: NotificationTokenVerifyOptions,
  where = 'authHeader',
): (token: string) => Promise<TokenVerification> {
  if ((options.secret === undefined) === (options.publicKey === undefined)) {
    throw new TypeError(`${where}: jwt needs exactly one of secret and publicKey`);
  }
  let key: KeyObject | Uint8Array;
  let algorithms: string[];
  if (options.secret !== undefined) {
    key = secretBytes(options.secret, where);
    algorithms = options.algorithms ?? ['HS256'];
  } else {
    const publicKey = toKeyObject(options.publicKey as KeyInput, 'public', where);
    key = publicKey;
    algorithms = options.algorithms ?? [algorithmOf(publicKey, where)];
  }
  if (algorithms.length === 0 || algorithms.some((alg) => alg.toLowerCase() === 'none')) {
    throw new TypeError(`${where}: jwt.algorithms must list real algorithms, never none`);
  }
  const timeOptions = {
    ...(options.clockTolerance !== undefined && { clockTolerance: options.clockTolerance }),
    ...(options.maxTokenAge !== undefined && { maxTokenAge: options.maxTokenAge }),
  };
  assertTimeOptions(timeOptions, where);
  const verifyOptions = {
    algorithms: [...algorithms],
    // jose checks `exp` only when present: a token without one would never expire.
    requiredClaims: ['exp'],
    ...(options.issuer !== undefined && { issuer: options.issuer }),
    ...(options.audience !== undefined && { audience: options.audience }),
    ...timeOptions,
  };
  return async function verifyNotificationToken(token) {
    // jose's base64url decoding skips characters outside the alphabet, so a genuine token
    // with tabs or `=` appended would still verify: only the compact form itself is read.
    if (!COMPACT_JWS.test(token)) return { ok: false, reason: 'ERR_JWS_INVALID' };
    try {
      const { payload, protectedHeader } = await jwtVerify(token, key, verifyOptions);
      // `"exp": 1e400` parses as Infinity, which jose accepts as a number far in the future.
      if (!Number.isFinite(payload.exp)) {
        return { ok: false, reason: 'ERR_JWT_CLAIM_VALIDATION_FAILED' };
      }
      return { ok: true, token: { claims: payload, alg: protectedHeader.alg } };
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) return { ok: false, reason: error.code };
      throw error;
    }
  };
}

/** Three base64url segments, unpadded: the one form a signed JWT takes. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Lets jose read `clockTolerance` and `maxTokenAge` once, at setup, on an unsigned token
 * issued now: its own span grammar is the one that applies per request, and a mistake in
 * either option (jose throws a TypeError for it) then fails here rather than as a 500 on
 * every notification.
 */
function assertTimeOptions(
  options: { clockTolerance?: string | number; maxTokenAge?: string | number },
  where: string,
): void {
  const probe = new UnsecuredJWT({}).setIssuedAt().setExpirationTime('1h').encode();
  try {
    UnsecuredJWT.decode(probe, options);
  } catch (cause) {
    // Only a bad option is a TypeError; a JOSEError (a second ticked) says nothing of them.
    if (!(cause instanceof TypeError)) return;
    throw new TypeError(
      `${where}: jwt.clockTolerance and jwt.maxTokenAge are a span such as '30s' or '30d', ` +
        'or a non-negative number of seconds',
      { cause },
    );
  }
}

function secretBytes(secret: Secret, where: string): Uint8Array {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (!(bytes instanceof Uint8Array) || bytes.byteLength < MIN_SECRET_BYTES) {
    throw new TypeError(
      `${where}: the JWT secret must be at least ${MIN_SECRET_BYTES} bytes (HS256, RFC 7518 §3.2)`,
    );
  }
  return Uint8Array.from(bytes);
}

/** The one JWS algorithm a key is used with (RFC 7518 §3.1, RFC 8037). */
function algorithmOf(key: KeyObject, where: string): string {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return 'RS256';
  if (type === 'rsa-pss') return 'PS256';
  if (type === 'ed25519') return 'EdDSA';
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'ES256';
    if (curve === 'secp384r1') return 'ES384';
    if (curve === 'secp521r1') return 'ES512';
  }
  throw new TypeError(`${where}: unsupported key type for JWT (${type ?? 'unknown'})`);
}
