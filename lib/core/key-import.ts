import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import type { webcrypto } from 'node:crypto';
import type { JWK } from 'jose';

/** A key given as PEM text, a JWK, a Node.js `KeyObject` or a WebCrypto `CryptoKey`. */
export type KeyInput = string | Buffer | JWK | KeyObject | webcrypto.CryptoKey;

/**
 * Reads a key of the wanted type synchronously, so that a bad key fails when the factory
 * is called (jose's own importers are asynchronous). `where` names the caller in messages.
 *
 * @throws {TypeError} for input that is not a key of `type` (a private key where a public
 *   one is expected says so), naming `where`.
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
