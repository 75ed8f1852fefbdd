import { constants, createPublicKey, sign as rsaSign } from 'node:crypto';
import { exportPKCS8, generateKeyPair } from 'jose';
import { compileCanonicalizations } from '../core/canonical-string';
import type { Canonicalization } from '../core/canonical-string';
import { toKeyObject } from '../core/key-import';
import type { KeyInput } from '../core/key-import';

/** Options of {@link createTestSigner}. */
export interface TestSignerOptions {
  /**
   * A private key to sign with instead of a fresh one: PEM (PKCS#8 or PKCS#1), JWK,
   * `KeyObject` or `CryptoKey`. Keep one in a test fixture to skip key generation.
   */
  privateKey?: KeyInput;
  /** Modulus of a generated key, in bits (at least 2048). Default 3072, as Yoti's key. */
  modulusLength?: number;
  /**
   * How the signed string is built, with the verifier's own code: `'strip-whitespace'`
   * (default, as Yoti's JavaScript example), `'compact'`, or a function.
   */
  canonicalization?: Canonicalization;
}

/** A payload as signed by {@link TestSigner.sign}: `sequence_number` and `signature` set. */
export type SignedPayload<P extends object> = Omit<P, 'signature' | 'sequence_number'> & {
  readonly sequence_number: P extends { readonly sequence_number: infer N } ? N : number;
  readonly signature: string;
};

/** A test key pair and a signer of age verification notifications, from {@link createTestSigner}. */
export interface TestSigner {
  /** The public key, PEM SPKI: give it to `verifySignature({ publicKey })`. */
  readonly publicKey: string;
  /** The private key, PEM PKCS#8: save it to a fixture to reuse the key. */
  readonly privateKey: string;
  /**
   * Signs a payload as Yoti does (RSA-PSS, SHA-256, maximum salt length) and returns a new
   * object: the payload's fields in their order, `sequence_number` (kept if present, else
   * 1) and `signature` (base64). The payload itself is not changed.
   */
  sign<P extends object>(payload: P): SignedPayload<P>;
  /** `JSON.stringify(sign(payload))`: the request body Yoti would send. */
  signedBody(payload: object): string;
}

const MIN_MODULUS_BITS = 2048;
const DEFAULT_MODULUS_BITS = 3072;

/**
 * Creates a signer of age verification notifications for tests, with a fresh RSA key
 * (3072-bit by default) or the `privateKey` you give it. Signatures use the verifier's own
 * canonicalization code, so a notification signed here verifies with
 * `verifySignature({ publicKey: signer.publicKey })`.
 *
 * Generating a key is the slow part (a 3072-bit key takes from a few hundred milliseconds
 * to a few seconds): create one signer per test file, in `beforeAll`, or keep a key in a
 * fixture (`express-yoti-notifications keygen test/keys` writes one) and pass it as
 * `privateKey`, which makes this instant.
 *
 * @throws {TypeError} (as a rejection) for a `modulusLength` under 2048 or not an integer,
 *   both `privateKey` and `modulusLength`, an unreadable or non-RSA private key, or an
 *   unknown canonicalization.
 * @example
 * const signer = await createTestSigner();
 * const app = express();
 * app.use('/yoti/age', ageVerificationNotifications({
 *   publicKey: signer.publicKey,
 *   handlers: { COMPLETE: (req) => grant(req.notification.session_key) },
 * }));
 * await deliver(app, '/yoti/age', signer.sign(mockAgeVerificationNotification())).expect(200);
 */
export async function createTestSigner(options: TestSignerOptions = {}): Promise<TestSigner> {
  const where = 'createTestSigner';
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${where}: options must be an object`);
  }
  const { privateKey, modulusLength, canonicalization = 'strip-whitespace' } = options;
  if (Array.isArray(canonicalization)) {
    throw new TypeError(`${where}: canonicalization must be one name or function, not a list`);
  }
  const { bytes: canonicalBytes } = compileCanonicalizations(canonicalization, where)[0] as {
    bytes: (payload: Readonly<Record<string, unknown>>) => Buffer;
  };

  let privatePem: string;
  if (privateKey !== undefined) {
    if (modulusLength !== undefined) {
      throw new TypeError(`${where}: give privateKey or modulusLength, not both`);
    }
    const key = toKeyObject(privateKey, 'private', where);
    if (key.asymmetricKeyType !== 'rsa') {
      throw new TypeError(
        `${where}: Yoti signs with RSA-PSS; expected an RSA private key, got ${key.asymmetricKeyType ?? 'an unknown key type'}`,
      );
    }
    privatePem = key.export({ format: 'pem', type: 'pkcs8' }).toString();
  } else {
    const bits = modulusLength ?? DEFAULT_MODULUS_BITS;
    if (!Number.isSafeInteger(bits) || bits < MIN_MODULUS_BITS) {
      throw new TypeError(
        `${where}: modulusLength must be an integer of at least ${MIN_MODULUS_BITS} bits`,
      );
    }
    // PS256 keys export as plain rsaEncryption SPKI / PKCS#8, which every verifier reads.
    const pair = await generateKeyPair('PS256', { modulusLength: bits, extractable: true });
    privatePem = await exportPKCS8(pair.privateKey);
  }

  const signingKey = toKeyObject(privatePem, 'private', where);
  const publicKey = createPublicKey(signingKey).export({ format: 'pem', type: 'spki' }).toString();

  function sign<P extends object>(payload: P): SignedPayload<P> {
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
      throw new TypeError(`${where}: sign() expects a payload object`);
    }
    const fields = payload as Readonly<Record<string, unknown>>;
    const signature = rsaSign('sha256', canonicalBytes(fields), {
      key: signingKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      // RFC 8017 §9.1: the largest salt the key allows, signature bytes − 32 − 2, as Yoti signs.
      saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN,
    }).toString('base64');
    // Object.fromEntries defines own properties, so a `__proto__` field stays a field.
    const entries = Object.keys(fields)
      .filter((key) => key !== 'signature')
      .map((key): [string, unknown] => [key, fields[key]]);
    if (!Object.hasOwn(fields, 'sequence_number')) entries.push(['sequence_number', 1]);
    entries.push(['signature', signature]);
    return Object.fromEntries(entries) as SignedPayload<P>;
  }

  return Object.freeze({
    publicKey,
    privateKey: privatePem,
    sign,
    signedBody: (payload: object) => JSON.stringify(sign(payload)),
  });
}
