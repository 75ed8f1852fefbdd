import { constants, verify } from 'node:crypto';
import { SignatureInvalidError, SignatureMissingError } from './errors';
import type { VerificationKey } from './public-keys';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes the `signature` field (standard base64, padding optional). The length is checked
 * before anything else, so a huge string costs nothing; a decoded length that fits no key
 * fails in {@link verifyPss}.
 *
 * @throws {SignatureMissingError} `SIGNATURE_MISSING` when absent or empty.
 * @throws {SignatureInvalidError} `SIGNATURE_INVALID` for a non-string or bad base64.
 */
export function decodeSignature(value: unknown, keys: readonly VerificationKey[]): Buffer {
  if (value === undefined || value === '') throw new SignatureMissingError();
  if (typeof value !== 'string')
    throw new SignatureInvalidError('Notification signature must be a string');
  const longest = longestEncoding(keys);
  if (value.length > longest || !BASE64.test(value)) {
    throw new SignatureInvalidError(
      "Notification signature is not base64 of a key's signature length",
    );
  }
  return Buffer.from(value, 'base64');
}

/**
 * RSASSA-PSS verification (RFC 8017 §8.1.2) with SHA-256, MGF1-SHA-256 and the maximum
 * salt length, as Yoti signs: `signature bytes − 32 − 2` (350 for a 3072-bit key; one less
 * for a modulus of 8k + 1 bits). A signature of another length than the key's is simply
 * invalid; nothing here throws.
 */
export function verifyPss(key: VerificationKey, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.byteLength !== key.signatureBytes) return false;
  try {
    return verify(
      'sha256',
      data,
      {
        key: key.keyObject,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: key.saltLength,
      },
      signature,
    );
  } catch {
    // OpenSSL reports some malformed encodings as errors rather than a false result.
    return false;
  }
}

// The key list is fixed at setup, so its longest base64 signature length is worked out once.
const LONGEST_ENCODING = new WeakMap<readonly VerificationKey[], number>();

function longestEncoding(keys: readonly VerificationKey[]): number {
  let longest = LONGEST_ENCODING.get(keys);
  if (longest === undefined) {
    longest = Math.max(...keys.map((key) => 4 * Math.ceil(key.signatureBytes / 3)));
    LONGEST_ENCODING.set(keys, longest);
  }
  return longest;
}
