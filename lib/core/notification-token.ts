import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import type { webcrypto } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { JWK, JWTPayload } from 'jose';

/** A key given as PEM text, a JWK, a Node.js `KeyObject` or a WebCrypto `CryptoKey`. */
export type KeyInput = string | Buffer | JWK | KeyObject | webcrypto.CryptoKey;

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
 * here). The returned function never throws for a bad token: it reports why.
 *
 * @throws {TypeError} for a secret under 32 bytes, both or neither of `secret` and
 *   `publicKey`, an unreadable key, or a private key.
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
  const verifyOptions = {
    algorithms: [...algorithms],
    ...(options.issuer !== undefined && { issuer: options.issuer }),
    ...(options.audience !== undefined && { audience: options.audience }),
    ...(options.clockTolerance !== undefined && { clockTolerance: options.clockTolerance }),
  };
  return async function verifyNotificationToken(token) {
    try {
      const { payload, protectedHeader } = await jwtVerify(token, key, verifyOptions);
      return { ok: true, token: { claims: payload, alg: protectedHeader.alg } };
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) return { ok: false, reason: error.code };
      throw error;
    }
  };
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

/**
 * Reads a key of the wanted type synchronously, so that a bad key fails when the factory
 * is called (jose's own importers are asynchronous).
 */
export function toKeyObject(input: KeyInput, type: 'public' | 'private', where: string): KeyObject {
  let key: KeyObject;
  try {
    if (input instanceof KeyObject) key = input;
    else if (isCryptoKey(input)) key = KeyObject.from(input);
    else if (typeof input === 'string' || Buffer.isBuffer(input)) {
      const pem = input.toString();
      if (type === 'public' && pem.includes('PRIVATE KEY-----')) {
        throw new TypeError(`${where}: expected a public key, got a private key`);
      }
      key = type === 'public' ? createPublicKey(pem) : createPrivateKey(pem);
    } else if (typeof input === 'object' && input !== null) {
      if (type === 'public' && 'd' in input) {
        throw new TypeError(`${where}: expected a public key, got a private JWK`);
      }
      const jwk = { key: input as Parameters<typeof createPublicKey>[0] & object, format: 'jwk' };
      key = type === 'public' ? createPublicKey(jwk as never) : createPrivateKey(jwk as never);
    } else {
      throw new TypeError(`${where}: unsupported key input`);
    }
  } catch (cause) {
    if (cause instanceof TypeError && cause.message.startsWith(where)) throw cause;
    throw new TypeError(
      `${where}: the ${type} key cannot be read (PEM, JWK, KeyObject or CryptoKey)`,
      {
        cause,
      },
    );
  }
  if (key.type !== type) {
    throw new TypeError(`${where}: expected a ${type} key, got a ${key.type} key`);
  }
  return key;
}

function isCryptoKey(input: unknown): input is webcrypto.CryptoKey {
  // The class is a global in Node.js, not an export of node:crypto's `webcrypto`.
  const CryptoKeyClass = (globalThis as { CryptoKey?: new () => unknown }).CryptoKey;
  return CryptoKeyClass !== undefined && input instanceof CryptoKeyClass;
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
