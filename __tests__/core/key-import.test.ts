import { generateKeyPairSync, KeyObject, webcrypto } from 'node:crypto';
import { toKeyObject } from '../../lib/core/key-import';

const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const publicPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
const privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

describe('toKeyObject', () => {
  test.each([
    ['a KeyObject', () => publicKey],
    ['PEM text', () => publicPem],
    ['PEM bytes', () => Buffer.from(publicPem)],
    ['a JWK', () => publicKey.export({ format: 'jwk' })],
    [
      'a CryptoKey',
      () =>
        webcrypto.subtle.importKey(
          'spki',
          publicKey.export({ format: 'der', type: 'spki' }),
          { name: 'ECDSA', namedCurve: 'P-256' },
          true,
          ['verify'],
        ),
    ],
  ])('reads %s as a public key', async (_what, input) => {
    const key = toKeyObject((await input()) as never, 'public', 'w');
    expect(key).toBeInstanceOf(KeyObject);
    expect(key.equals(publicKey)).toBe(true);
  });

  test('reads a private key where one is wanted', () => {
    expect(toKeyObject(privatePem, 'private', 'w').type).toBe('private');
  });

  test.each([
    ['a private PEM', () => privatePem, /^w: expected a public key, got a private key$/],
    ['a private JWK', () => privateKey.export({ format: 'jwk' }), /got a private JWK/],
    ['a private KeyObject', () => privateKey, /expected a public key, got a private key/],
    ['text that is no key', () => 'not a key', /^w: the public key cannot be read/],
    ['a number', () => 42, /cannot be read|unsupported/],
  ])('refuses %s where a public key is wanted, naming the caller', (_what, input, message) => {
    expect(() => toKeyObject(input() as never, 'public', 'w')).toThrow(message);
  });

  test('refuses a public key where a private one is wanted', () => {
    expect(() => toKeyObject(publicPem, 'private', 'w')).toThrow(TypeError);
  });
});
