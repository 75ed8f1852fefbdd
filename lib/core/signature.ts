import { constants, verify } from 'node:crypto';
import { SignatureInvalidError, SignatureMissingError } from './errors';
import type { VerificationKey } from './public-keys';

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
  const bytes = value.length > longestEncoding(keys) ? undefined : decodeBase64(value);
  if (bytes === undefined) {
    throw new SignatureInvalidError(
      "Notification signature is not base64 of a key's signature length",
    );
  }
  return bytes;
}

// The standard alphabet's 6-bit values, by character code; 0xff for every other ASCII code.
const BASE64_VALUES = new Uint8Array(128).fill(0xff);
for (let i = 0; i < 64; i++) {
  BASE64_VALUES['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] =
    i;
}

/**
 * Strict standard base64: the alphabet, then at most two `=`; `undefined` for anything else
 * (whitespace, the URL-safe alphabet, `=` inside). Yields the bytes `Buffer.from(text,
 * 'base64')` yields for such text, trailing bits ignored alike. Decoded here, in one pass
 * that also validates, because Node's native decoder, called between RSA operations, costs
 * several times more than this loop (measured in `npm run bench`'s signature step).
 */
export function decodeBase64(text: string): Buffer | undefined {
  let end = text.length;
  if (end > 0 && text.charCodeAt(end - 1) === 0x3d) end--;
  if (end > 0 && text.charCodeAt(end - 1) === 0x3d) end--;
  const whole = end - (end % 4);
  const out = Buffer.allocUnsafe((whole / 4) * 3 + (end % 4 === 0 ? 0 : (end % 4) - 1));
  // Every code ORed together: one over 0x7f, or a value with the 0xc0 bits, is not base64.
  let codes = 0;
  let values = 0;
  let o = 0;
  let i = 0;
  for (; i < whole; i += 4) {
    const c0 = text.charCodeAt(i);
    const c1 = text.charCodeAt(i + 1);
    const c2 = text.charCodeAt(i + 2);
    const c3 = text.charCodeAt(i + 3);
    codes |= c0 | c1 | c2 | c3;
    const v0 = BASE64_VALUES[c0 & 0x7f]!;
    const v1 = BASE64_VALUES[c1 & 0x7f]!;
    const v2 = BASE64_VALUES[c2 & 0x7f]!;
    const v3 = BASE64_VALUES[c3 & 0x7f]!;
    values |= v0 | v1 | v2 | v3;
    out[o++] = (v0 << 2) | (v1 >> 4);
    out[o++] = ((v1 & 0x0f) << 4) | (v2 >> 2);
    out[o++] = ((v2 & 0x03) << 6) | v3;
  }
  // One to three characters left: 6, 12 or 18 bits, of which whole bytes are kept.
  let bits = 0;
  let count = 0;
  for (; i < end; i++) {
    const code = text.charCodeAt(i);
    const value = BASE64_VALUES[code & 0x7f]!;
    codes |= code;
    values |= value;
    bits = (bits << 6) | (value & 0x3f);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out[o++] = (bits >> count) & 0xff;
    }
  }
  return codes > 0x7f || (values & 0xc0) !== 0 ? undefined : out;
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
