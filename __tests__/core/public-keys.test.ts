import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import type { JWK } from 'jose';
import { importVerificationKeys } from '../../lib/core/public-keys';
import { YOTI_AGE_VERIFICATION_PUBLIC_KEY } from '../../lib/core/yoti-public-key';
import { createSignatureVerifier } from '../../lib/core/age-verification';
import { fixture, publicPem } from '../support/sign-age-verification';

const pem3072 = publicPem('rsa-3072');
const jwk3072 = JSON.parse(fixture('rsa-3072-public.jwk.json')) as JWK;
const cert3072 = fixture('rsa-3072-cert.pem');

describe('the pinned Yoti key', () => {
  test('equals keys/yoti-age-verification-public-key.pem byte for byte', () => {
    const shipped = readFileSync(
      path.join(__dirname, '..', '..', 'keys', 'yoti-age-verification-public-key.pem'),
    );
    expect(Buffer.from(YOTI_AGE_VERIFICATION_PUBLIC_KEY, 'utf8').equals(shipped)).toBe(true);
  });

  test('is the published key: SHA-256 of its DER SPKI, RSA 3072, e = 65537', () => {
    const key = createPublicKey(YOTI_AGE_VERIFICATION_PUBLIC_KEY);
    const der = key.export({ format: 'der', type: 'spki' });
    expect(createHash('sha256').update(der).digest('hex')).toBe(
      '566e085eed69dc0166c25d6ba68c49d6687598ce332930ea86d031ea6b6c15cf',
    );
    expect(key.asymmetricKeyType).toBe('rsa');
    expect(key.asymmetricKeyDetails).toEqual({ modulusLength: 3072, publicExponent: 65537n });
  });

  test('is the default of createSignatureVerifier()', async () => {
    const [yoti] = importVerificationKeys(YOTI_AGE_VERIFICATION_PUBLIC_KEY);
    expect(yoti!.signatureBytes).toBe(384);
    expect(yoti!.thumbprint).toBe(
      await calculateJwkThumbprint(
        createPublicKey(YOTI_AGE_VERIFICATION_PUBLIC_KEY).export({ format: 'jwk' }) as JWK,
      ),
    );
  });
});

describe('importVerificationKeys() accepts', () => {
  let expectedThumbprint: string;
  beforeAll(async () => {
    expectedThumbprint = await calculateJwkThumbprint(jwk3072, 'sha256');
  });

  async function cryptoKey(name: 'RSA-PSS' | 'RSASSA-PKCS1-v1_5') {
    const der = createPublicKey(pem3072).export({ format: 'der', type: 'spki' });
    return webcrypto.subtle.importKey('spki', der, { name, hash: 'SHA-256' }, true, ['verify']);
  }

  test.each<[string, () => unknown]>([
    ['a PEM SPKI string', () => pem3072],
    ['a PEM SPKI Buffer', () => Buffer.from(pem3072)],
    ['a JWK', () => jwk3072],
    ['an X.509 certificate PEM', () => cert3072],
    ['a KeyObject', () => createPublicKey(pem3072)],
    ['a CryptoKey imported for RSA-PSS', () => cryptoKey('RSA-PSS')],
    ['a CryptoKey imported for RSASSA-PKCS1-v1_5', () => cryptoKey('RSASSA-PKCS1-v1_5')],
  ])('%s, and names it by its RFC 7638 thumbprint', async (_what, make) => {
    const [key] = importVerificationKeys((await make()) as never);
    expect(key!.keyObject.type).toBe('public');
    expect(key!.signatureBytes).toBe(384);
    expect(key!.thumbprint).toBe(expectedThumbprint);
  });

  test('a list, in order, for rotation', async () => {
    const keys = importVerificationKeys([publicPem('rsa-2048'), jwk3072]);
    expect(keys.map((k) => k.signatureBytes)).toEqual([256, 384]);
    expect(keys[1]!.thumbprint).toBe(expectedThumbprint);
    expect(keys[0]!.thumbprint).toBe(
      await calculateJwkThumbprint(
        createPublicKey(publicPem('rsa-2048')).export({ format: 'jwk' }) as JWK,
      ),
    );
    expect(Object.isFrozen(keys)).toBe(true);
  });
});

describe('importVerificationKeys() throws a TypeError, synchronously, for', () => {
  const privatePem = fixture('rsa-3072-private.pem');
  const privateKey = createPrivateKey(privatePem);
  const smallRsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;

  test.each<[string, unknown, RegExp]>([
    ['unreadable text', 'not a key', /cannot be read/],
    ['a truncated PEM', pem3072.slice(0, 200), /cannot be read/],
    ['a number', 42, /cannot be read|unsupported/],
    ['null', null, /cannot be read|unsupported/],
    ['an empty list', [], /list is empty/],
    ['a JWK without kty', { n: 'x', e: 'AQAB' }, /cannot be read/],
    ['a private key PEM', privatePem, /private key/],
    ['a private JWK (with d)', privateKey.export({ format: 'jwk' }), /private JWK/],
    ['a private KeyObject', privateKey, /private key/],
    ['an EC key', fixture('ec-p256-public.pem'), /RSA public key, got ec/],
    ['an Ed25519 key', generateKeyPairSync('ed25519').publicKey, /got ed25519/],
    ['an RSA key under 2048 bits', smallRsa, /under 2048 bits/],
    ['a bad key inside a list', [pem3072, 'nope'], /cannot be read/],
  ])('%s', (_what, input, message) => {
    expect(() => importVerificationKeys(input as never, 'verifySignature')).toThrow(TypeError);
    expect(() => importVerificationKeys(input as never, 'verifySignature')).toThrow(message);
  });

  test('a private CryptoKey', async () => {
    const der = createPrivateKey(fixture('rsa-2048-private.pem')).export({
      format: 'der',
      type: 'pkcs8',
    });
    const key = await webcrypto.subtle.importKey(
      'pkcs8',
      der,
      { name: 'RSA-PSS', hash: 'SHA-256' },
      true,
      ['sign'],
    );
    expect(() => importVerificationKeys(key)).toThrow(/expected a public key, got a private key/);
  });

  test('an error message that never shows the key material', () => {
    expect(() => importVerificationKeys(privatePem)).toThrow(TypeError);
    expect(() => importVerificationKeys(privatePem)).not.toThrow(/MII/);
  });

  test('the same errors come from createSignatureVerifier()', () => {
    expect(() => createSignatureVerifier({ publicKey: privatePem })).toThrow(TypeError);
    expect(() => createSignatureVerifier({ publicKey: smallRsa })).toThrow(TypeError);
  });
});

describe('hints for the usual key mistakes', () => {
  const body = Buffer.from(
    JSON.stringify({
      method: 'AGE_ESTIMATION',
      age: 30,
      session_key: 's',
      id: 'i',
      timestamp: 1,
      evidence_id: 'e',
      state: 'COMPLETE',
      signature: Buffer.alloc(384, 7).toString('base64'),
    }),
  );

  test("a signature that does not verify names Yoti's published key by its fingerprint", () => {
    const verify = createSignatureVerifier();
    expect(() => verify(body)).toThrow(
      expect.objectContaining({
        code: 'SIGNATURE_INVALID',
        message: expect.stringMatching(
          /Yoti's published key \(SHA-256 566e085eed69dc0166c25d6ba68c49d6687598ce332930ea86d031ea6b6c15cf\).*createTestSigner/,
        ),
      }),
    );
  });

  test('with keys of its own, the message names each by its SPKI fingerprint', () => {
    const der = createPublicKey(pem3072).export({ format: 'der', type: 'spki' });
    const fingerprint = createHash('sha256').update(der).digest('hex');
    const verify = createSignatureVerifier({
      publicKey: [pem3072, YOTI_AGE_VERIFICATION_PUBLIC_KEY],
    });
    expect(() => verify(body)).toThrow(new RegExp(`any of the key with SHA-256 ${fingerprint}`));
    expect(() => verify(body)).not.toThrow(/the default/);
  });

  test.each(['keys/public.pem', './yoti.pem', '/etc/yoti/key', 'C:\\keys\\yoti.crt'])(
    'a publicKey that looks like a path (%s) is a TypeError that says so',
    (value) => {
      expect(() => importVerificationKeys(value)).toThrow(TypeError);
      expect(() => importVerificationKeys(value)).toThrow(/looks like a file path.*readFileSync/);
    },
  );

  test('a Promise passed as publicKey asks whether await was forgotten', () => {
    const promise = Promise.resolve(pem3072);
    expect(() => importVerificationKeys(promise as never)).toThrow(TypeError);
    expect(() => importVerificationKeys(promise as never)).toThrow(/did you forget await\?/);
  });
});
