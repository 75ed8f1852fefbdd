import { createHash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { toKeyObject } from './key-import';
import type { KeyInput } from './key-import';

/** A verification key, imported once at setup. */
export interface VerificationKey {
  readonly keyObject: KeyObject;
  /** Length in bytes of a signature made with this key. */
  readonly signatureBytes: number;
  /**
   * The RSA-PSS salt length Yoti signs with, the maximum (RFC 8017 §9.1.1):
   * `emLen − hLen − 2` with `emLen = ⌈(modBits − 1) / 8⌉` and SHA-256's 32 bytes: 350 for a
   * 3072-bit key, one less than `signatureBytes − 34` for a modulus of 8k + 1 bits.
   */
  readonly saltLength: number;
  /** RFC 7638 JWK thumbprint (SHA-256, base64url): names the key without showing it. */
  readonly thumbprint: string;
  /** SHA-256 of the key's DER SPKI, in hex: what `openssl` and Yoti's documentation show. */
  readonly fingerprint: string;
}

/** The SHA-256 SPKI fingerprint of Yoti's published age verification key. */
export const YOTI_KEY_FINGERPRINT =
  '566e085eed69dc0166c25d6ba68c49d6687598ce332930ea86d031ea6b6c15cf';

const MIN_MODULUS_BITS = 2048;
const SHA256_BYTES = 32;

/**
 * Imports one or several RSA public keys, synchronously, so that a bad key fails when
 * the middleware factory is called.
 *
 * @throws {TypeError} for an unreadable key, a private key, a non-RSA key, a key under
 *   2048 bits, or an empty list.
 */
export function importVerificationKeys(
  input: KeyInput | readonly KeyInput[],
  where = 'verifySignature',
): readonly VerificationKey[] {
  const inputs = Array.isArray(input) ? input : [input as KeyInput];
  if (inputs.length === 0) throw new TypeError(`${where}: publicKey list is empty`);
  return Object.freeze(inputs.map((one) => importVerificationKey(one, where)));
}

function importVerificationKey(input: KeyInput, where: string): VerificationKey {
  if (typeof (input as { then?: unknown } | null)?.then === 'function') {
    throw new TypeError(`${where}: publicKey is a Promise; did you forget await?`);
  }
  if (typeof input === 'string' && looksLikePath(input)) {
    throw new TypeError(
      `${where}: publicKey looks like a file path; pass the file's contents, e.g. fs.readFileSync(path, 'utf8')`,
    );
  }
  const keyObject = toKeyObject(input, 'public', where);
  if (keyObject.asymmetricKeyType !== 'rsa') {
    throw new TypeError(
      `${where}: Yoti signs with RSA-PSS; expected an RSA public key, got ${keyObject.asymmetricKeyType ?? 'an unknown key type'}`,
    );
  }
  const bits = keyObject.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_MODULUS_BITS) {
    throw new TypeError(
      `${where}: RSA keys under ${MIN_MODULUS_BITS} bits are refused (got ${bits})`,
    );
  }
  return Object.freeze({
    keyObject,
    signatureBytes: Math.ceil(bits / 8),
    saltLength: Math.ceil((bits - 1) / 8) - SHA256_BYTES - 2,
    thumbprint: rsaThumbprint(keyObject),
    fingerprint: createHash('sha256')
      .update(keyObject.export({ format: 'der', type: 'spki' }))
      .digest('hex'),
  });
}

/** A PEM or JSON key never looks like this; a path read from configuration does. */
function looksLikePath(input: string): boolean {
  const text = input.trim();
  return (
    !text.includes('-----BEGIN') &&
    !text.startsWith('{') &&
    (text.includes('/') || text.includes('\\') || /\.(pem|crt|cer|key)$/i.test(text))
  );
}

/**
 * Names the keys a signature was checked against, for the message of a signature that does
 * not verify: each key's SHA-256 SPKI fingerprint, and whether it is Yoti's published key
 * (the usual cause of a refusal: a notification signed by `createTestSigner()` sent to an
 * app still on the default key).
 */
export function describeKeys(keys: readonly VerificationKey[], isDefault: boolean): string {
  const names = keys.map((key) =>
    key.fingerprint === YOTI_KEY_FINGERPRINT
      ? `Yoti's published key (SHA-256 ${key.fingerprint})`
      : `the key with SHA-256 ${key.fingerprint}`,
  );
  const list = names.length === 1 ? names[0]! : `any of ${names.join(', ')}`;
  return isDefault
    ? `${list}, the default; a notification from createTestSigner() needs its publicKey passed to verifySignature()`
    : list;
}

/** RFC 7638 §3: SHA-256 of the required members, in lexicographic order, without spaces. */
function rsaThumbprint(key: KeyObject): string {
  const { e, n } = key.export({ format: 'jwk' });
  const members = JSON.stringify({ e, kty: 'RSA', n });
  return createHash('sha256').update(members).digest('base64url');
}
