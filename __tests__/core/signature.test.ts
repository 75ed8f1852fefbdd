import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  generatePrimeSync,
  sign,
} from 'node:crypto';
import { importVerificationKeys } from '../../lib/core/public-keys';
import { decodeSignature, verifyPss } from '../../lib/core/signature';
import { fixture, loadVectors, publicPem } from '../support/sign-age-verification';
import { codeOf, thrown } from '../support/errors';

const [key3072] = importVerificationKeys(publicPem('rsa-3072'));
const [key2048] = importVerificationKeys(publicPem('rsa-2048'));
const keys = [key3072!, key2048!];
const keyOf = { 'rsa-3072': key3072!, 'rsa-2048': key2048! };

describe('verifyPss()', () => {
  test.each(loadVectors().map((v) => [v.name, v] as const))(
    '%s verifies with its own key only',
    (_name, vector) => {
      const signature = decodeSignature(
        (JSON.parse(vector.body) as { signature: string }).signature,
        keys,
      );
      const data = Buffer.from(vector.signedString, 'utf8');
      expect(verifyPss(keyOf[vector.key], data, signature)).toBe(true);
      const other = vector.key === 'rsa-3072' ? key2048! : key3072!;
      expect(verifyPss(other, data, signature)).toBe(false);
      expect(verifyPss(keyOf[vector.key], Buffer.concat([data, Buffer.from(' ')]), signature)).toBe(
        false,
      );
    },
  );

  const data = Buffer.from('{"state":"COMPLETE"}');
  const privateKey = createPrivateKey(fixture('rsa-3072-private.pem'));
  const pss = (saltLength: number) =>
    sign('sha256', data, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });

  test('uses the maximum salt length, 384 − 32 − 2 = 350 bytes for RSA-3072', () => {
    expect(verifyPss(key3072!, data, pss(350))).toBe(true);
    // A digest-length salt is another parameter set: Yoti signs with the maximum.
    expect(verifyPss(key3072!, data, pss(32))).toBe(false);
  });

  test('the bytes are hashed once, by the algorithm (not pre-hashed)', () => {
    const signature = pss(350);
    expect(verifyPss(key3072!, data, signature)).toBe(true);
    const digest = createHash('sha256').update(data).digest();
    expect(verifyPss(key3072!, digest, signature)).toBe(false);
  });

  test('a modulus of 8k + 1 bits: the maximum salt follows emLen, one byte under the signature', () => {
    // OpenSSL's key generator never makes such a modulus, so build one from two primes.
    let p: bigint;
    let q: bigint;
    do {
      p = generatePrimeSync(1025, { bigint: true });
      q = generatePrimeSync(1024, { bigint: true });
    } while ((p * q).toString(2).length !== 2049);
    const e = 65537n;
    const d = modInverse(e, (p - 1n) * (q - 1n));
    const b64 = (x: bigint) => {
      const hex = x.toString(16);
      return Buffer.from(hex.length % 2 ? '0' + hex : hex, 'hex').toString('base64url');
    };
    const jwk = {
      kty: 'RSA',
      n: b64(p * q),
      e: b64(e),
      d: b64(d),
      p: b64(p),
      q: b64(q),
      dp: b64(d % (p - 1n)),
      dq: b64(d % (q - 1n)),
      qi: b64(modInverse(q, p)),
    };
    const oddKey = createPrivateKey({ key: jwk, format: 'jwk' });
    const signature = sign('sha256', data, {
      key: oddKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN,
    });
    const [key] = importVerificationKeys(createPublicKey(oddKey));
    expect(key!.signatureBytes).toBe(257);
    expect(signature).toHaveLength(257);
    expect(verifyPss(key!, data, signature)).toBe(true);
  });

  test.each([
    ['empty', Buffer.alloc(0)],
    ['one byte short', Buffer.alloc(383, 1)],
    ['one byte long', Buffer.alloc(385, 1)],
    ['a 2048-bit length', Buffer.alloc(256, 1)],
    ['right length, all zeros', Buffer.alloc(384)],
    ['right length, all 0xff (larger than the modulus)', Buffer.alloc(384, 0xff)],
  ])('a signature that is %s is invalid, never an exception', (_what, signature) => {
    expect(verifyPss(key3072!, data, signature)).toBe(false);
  });
});

describe('decodeSignature()', () => {
  const valid = (JSON.parse(loadVectors()[0]!.body) as { signature: string }).signature;

  test('decodes standard base64', () => {
    expect(decodeSignature(valid, keys)).toEqual(Buffer.from(valid, 'base64'));
    expect(decodeSignature(valid, keys)).toHaveLength(384);
  });

  test('padding is optional', () => {
    const vector = loadVectors().find((v) => v.key === 'rsa-2048')!;
    const padded = (JSON.parse(vector.body) as { signature: string }).signature;
    expect(padded.endsWith('=')).toBe(true);
    const unpadded = padded.replace(/=+$/, '');
    expect(decodeSignature(unpadded, keys)).toEqual(decodeSignature(padded, keys));
    expect(
      verifyPss(key2048!, Buffer.from(vector.signedString), decodeSignature(unpadded, keys)),
    ).toBe(true);
  });

  test.each([
    ['absent', undefined],
    ['empty', ''],
  ])('%s → SIGNATURE_MISSING', (_what, value) => {
    expect(codeOf(() => decodeSignature(value, keys))).toBe('SIGNATURE_MISSING');
  });

  test.each<[string, unknown]>([
    ['a number', 12345],
    ['null', null],
    ['true', true],
    ['an object', { value: valid }],
    ['an array', [valid]],
    ['garbage', '!!!not base64!!!'],
    ['base64url', valid.replace(/\+/g, '-').replace(/\//g, '_') + '-_'],
    ['MIME-wrapped base64', valid.slice(0, 76) + '\r\n' + valid.slice(76)],
    ['too long for any key', valid + valid],
    ['10 MB of base64 letters', 'A'.repeat(10 * 1024 * 1024)],
    ['10 MB of garbage', '\u0000'.repeat(10 * 1024 * 1024)],
  ])('%s → SIGNATURE_INVALID', (_what, value) => {
    expect(codeOf(() => decodeSignature(value, keys))).toBe('SIGNATURE_INVALID');
  });

  test('a too-long signature is refused by length, for the longest configured key', () => {
    const only2048 = [key2048!];
    // 384 bytes of base64 is longer than any RSA-2048 signature.
    expect(codeOf(() => decodeSignature(valid, only2048))).toBe('SIGNATURE_INVALID');
  });

  test('error messages never quote the signature', () => {
    for (const value of ['!!!' + valid, valid + valid]) {
      const error = thrown(() => decodeSignature(value, keys));
      expect(error.code).toBe('SIGNATURE_INVALID');
      expect(error.message).not.toContain(valid.slice(0, 16));
    }
  });
});

function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [a % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  return ((oldS % m) + m) % m;
}
