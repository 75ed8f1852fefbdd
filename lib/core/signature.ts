import { constants, verify } from 'node:crypto';
import { decodeBase64 } from './base64';
import { SignatureInvalidError, SignatureMissingError } from './errors';
import type { VerificationKey } from './public-keys';

/**
 * Decodes the `signature` field: canonical standard base64, padding optional (see
 * {@link decodeBase64}). The length is checked before anything else, so a huge string costs
 * nothing; a decoded length that fits no key fails in {@link verifyPss}.
 *
 * @throws {SignatureMissingError} `SIGNATURE_MISSING` when absent or empty.
 * @throws {SignatureInvalidError} `SIGNATURE_INVALID` for a non-string or bad base64.
 */
export function decodeSignature(value: unknown, keys: readonly VerificationKey[]): Buffer {
  if (value === undefined || value === '') throw new SignatureMissingError();
  if (typeof value !== 'string')
    throw new SignatureInvalidError('Notification signature must be a string');
  const bytes = value.length > longestEncoding(keys) ? undefined : decodeBase64(value);
  if (bytes === undefined) {
    throw new SignatureInvalidError(
      "Notification signature is not base64 of a key's signature length",
    );
  }
  return bytes;
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

/** The longest base64 text of a signature any of the keys makes. */
function longestEncoding(keys: readonly VerificationKey[]): number {
  return Math.max(...keys.map((key) => 4 * Math.ceil(key.signatureBytes / 3)));
}
