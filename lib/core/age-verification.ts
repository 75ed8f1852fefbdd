import { compileCanonicalizations } from './canonical-string';
import type {
  Canonicalization,
  CanonicalizationName,
  CompiledCanonicalization,
} from './canonical-string';
import { NotificationExpiredError, PayloadInvalidError, SignatureInvalidError } from './errors';
import { requireObject } from './payload';
import { MAX_JSON_DEPTH, parseJson } from './json';
import { describeKeys, importVerificationKeys } from './public-keys';
import type { KeyInput } from './key-import';
import { decodeSignature, verifyPss } from './signature';
import { toAgeVerificationNotification } from './age-verification-notification';
import type { AgeVerificationNotification } from './age-verification-notification';
import { YOTI_AGE_VERIFICATION_PUBLIC_KEY } from './yoti-public-key';

/** Options of the age verification signature verifier (and of `verifySignature()`). */
export interface SignatureVerifierOptions {
  /**
   * The key(s) to verify with: PEM (SPKI or X.509 certificate), JWK, `KeyObject` or
   * `CryptoKey`, or a list of them for rotation (accepted if any verifies).
   * Default: Yoti's published key, {@link YOTI_AGE_VERIFICATION_PUBLIC_KEY}.
   */
  publicKey?: KeyInput | readonly KeyInput[];
  /**
   * How the signed string is built: `'strip-whitespace'` (default), `'compact'`, a
   * function, or a list tried in order (each candidate costs one RSA verification).
   */
  canonicalization?: Canonicalization | readonly Canonicalization[];
  /**
   * Refuse notifications whose `timestamp` is more than this many seconds away from now,
   * in either direction. Off by default: redeliveries keep the original timestamp, so a
   * window shorter than Yoti's retry period loses notifications.
   */
  maxAgeSeconds?: number;
  /** Clock for `maxAgeSeconds`, in epoch milliseconds. Default `Date.now`. */
  now?: () => number;
}

/** How a notification verified: which key, and which canonicalization. */
export interface SignatureMatch {
  /** Index, in the configured list, of the key that verified. */
  readonly keyIndex: number;
  /** RFC 7638 thumbprint (SHA-256, base64url) of the key that verified. */
  readonly keyThumbprint: string;
  /** The canonicalization that verified. */
  readonly canonicalization: CanonicalizationName | 'custom';
}

/** A notification whose signature verified, and how. */
export interface VerifiedAgeVerification extends SignatureMatch {
  readonly notification: AgeVerificationNotification;
}

/**
 * Builds a verifier of age verification notifications: keys are imported and options
 * checked once, here. The verifier takes the exact request bytes and returns the
 * validated, frozen notification, or throws a `NotificationError`:
 * `PAYLOAD_MALFORMED`, `SIGNATURE_MISSING`, `SIGNATURE_INVALID`, `PAYLOAD_INVALID`,
 * `NOTIFICATION_EXPIRED`. Authenticity is checked before the payload's shape, so an
 * unsigned request learns nothing about what the payload should hold.
 *
 * @throws {TypeError} at setup for a bad key, canonicalization, `maxAgeSeconds` or `now`.
 */
export function createSignatureVerifier(
  options: SignatureVerifierOptions = {},
  where = 'verifySignature',
): (body: Uint8Array) => VerifiedAgeVerification {
  const keys = importVerificationKeys(options.publicKey ?? YOTI_AGE_VERIFICATION_PUBLIC_KEY, where);
  const canonicalizations: readonly CompiledCanonicalization[] = compileCanonicalizations(
    options.canonicalization,
    where,
  );
  const { maxAgeSeconds } = options;
  if (maxAgeSeconds !== undefined && !(Number.isFinite(maxAgeSeconds) && maxAgeSeconds > 0)) {
    throw new TypeError(`${where}: maxAgeSeconds must be a positive number of seconds`);
  }
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') {
    throw new TypeError(`${where}: now must be a function returning epoch milliseconds`);
  }
  const keyNames = describeKeys(keys, options.publicKey === undefined);

  return function verifyAgeVerificationNotification(body) {
    const payload = requireObject(parseJson(body));
    const signature = decodeSignature(
      Object.hasOwn(payload, 'signature') ? payload.signature : undefined,
      keys,
    );
    const match = findVerifyingKey(payload, signature);
    assertSignedAsReceived(payload);
    const notification = toAgeVerificationNotification(payload);
    if (maxAgeSeconds !== undefined) {
      const skew = Math.abs(now() / 1000 - notification.timestamp);
      // Written so that a clock returning NaN refuses (fails closed) instead of accepting.
      if (!(skew <= maxAgeSeconds)) {
        throw new NotificationExpiredError(
          `Notification timestamp is more than ${maxAgeSeconds} seconds from now`,
        );
      }
    }
    return Object.freeze({ notification, ...match });
  };

  function findVerifyingKey(payload: Record<string, unknown>, signature: Buffer): SignatureMatch {
    for (let c = 0; c < canonicalizations.length; c++) {
      const data = signedBytes(canonicalizations[c]!, payload);
      if (data === undefined) continue;
      for (let keyIndex = 0; keyIndex < keys.length; keyIndex++) {
        if (verifyPss(keys[keyIndex]!, data, signature)) {
          const { thumbprint } = keys[keyIndex]!;
          return {
            keyIndex,
            keyThumbprint: thumbprint,
            canonicalization: canonicalizations[c]!.name,
          };
        }
      }
    }
    throw new SignatureInvalidError(`Notification signature does not verify against ${keyNames}`);
  }
}

/**
 * The fields whose values Yoti generates, and never writes with whitespace. A signature made
 * over the text with its whitespace removed (`'strip-whitespace'`) would still verify with
 * whitespace inserted into them, so a value with any is refused: a handler, a router and a
 * de-duplication key see only values that were signed exactly as they see them.
 */
export const GENERATED_FIELDS: readonly string[] = Object.freeze([
  'id',
  'session_key',
  'evidence_id',
  'state',
  'method',
  'check_type',
  'error_code',
]);

// JavaScript's `\s`, the class the official example strips: what a signature may not see.
const WHITESPACE = /\s/;

/**
 * Refuses, after the signature verified, what the signature cannot vouch for (see the
 * README's security notes): whitespace in any field name or in a generated field's value
 * (`SIGNATURE_INVALID`), and numbers that are not finite, such as `1e400`, which
 * `JSON.stringify` writes back as `null` (`PAYLOAD_INVALID`). Applied under every
 * canonicalization: Yoti never sends either.
 */
function assertSignedAsReceived(payload: Record<string, unknown>): void {
  const key = keyWithWhitespace(payload, 0);
  if (key !== undefined) {
    throw new SignatureInvalidError(
      `Notification field name ${fieldLabel(key)} contains whitespace, which its signature does not cover`,
    );
  }
  for (const name of GENERATED_FIELDS) {
    const value = payload[name];
    if (typeof value === 'string' && WHITESPACE.test(value)) {
      throw new SignatureInvalidError(
        `Notification field ${name} contains whitespace, which its signature does not cover`,
      );
    }
  }
  for (const [name, value] of Object.entries(payload)) {
    if (!allFinite(value, 0)) {
      throw new PayloadInvalidError(
        name,
        `Field ${fieldLabel(name)} holds a number that is not finite`,
      );
    }
  }
}

/** The first key, at any depth (bounded by `parseJson`), that contains whitespace. */
function keyWithWhitespace(value: object, depth: number): string | undefined {
  for (const [key, member] of Object.entries(value)) {
    if (WHITESPACE.test(key)) return key;
    if (member !== null && typeof member === 'object' && depth < MAX_JSON_DEPTH) {
      const inner = keyWithWhitespace(member as object, depth + 1);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}

/** Whether every number in a parsed value is finite (`1e400` parses as `Infinity`). */
function allFinite(value: unknown, depth: number): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (value === null || typeof value !== 'object' || depth >= MAX_JSON_DEPTH) return true;
  return Object.values(value).every((member) => allFinite(member, depth + 1));
}

/** A field name fit for a message: whitespace shown escaped, at most 40 characters. */
function fieldLabel(name: string): string {
  const shown = JSON.stringify(name.length > 40 ? name.slice(0, 40) + '…' : name);
  return shown.replace(/\s/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/**
 * The signed bytes under one canonicalization, or `undefined` when the payload has none:
 * `JSON.stringify` throws a RangeError on absurdly deep nesting, which no genuine
 * notification has, and a custom function may throw. Either way nothing can verify.
 */
function signedBytes(
  canonicalization: CompiledCanonicalization,
  payload: Record<string, unknown>,
): Buffer | undefined {
  try {
    return canonicalization.bytes(payload);
  } catch {
    return undefined;
  }
}
