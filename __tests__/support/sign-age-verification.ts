// Test-only signer for age verification payloads: node:crypto.sign over the package's own
// canonical string, with the committed fixture keys. The committed vectors (signed by
// openssl and Java) prove the canonical string itself; this only makes mutations cheap.
import { constants, createPrivateKey, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { canonicalString } from '../../lib/core/canonical-string';
import type { CanonicalizationName } from '../../lib/core/canonical-string';

/** The fixture folder of the age verification keys and vectors. */
export const FIXTURES = path.join(__dirname, '..', 'fixtures', 'age-verification');

/** Reads a fixture file as UTF-8 text. */
export function fixture(name: string): string {
  return readFileSync(path.join(FIXTURES, name), 'utf8');
}

/** The fixture key pairs by name, as in `vectors.json`'s `key` field. */
export type FixtureKeyName = 'rsa-3072' | 'rsa-2048';

/** The public key PEM (SPKI) of a fixture key. */
export function publicPem(key: FixtureKeyName): string {
  return fixture(`${key}-public.pem`);
}

const privateKeys = new Map<FixtureKeyName, KeyObject>();

function privateKey(key: FixtureKeyName): KeyObject {
  let found = privateKeys.get(key);
  if (found === undefined) {
    found = createPrivateKey(fixture(`${key}-private.pem`));
    privateKeys.set(key, found);
  }
  return found;
}

/** One committed, independently signed vector. */
export interface Vector {
  readonly name: string;
  readonly key: FixtureKeyName;
  readonly canonicalization: CanonicalizationName;
  readonly signer: 'openssl' | 'java';
  readonly signedString: string;
  readonly body: string;
}

/** The committed vectors of `vectors.json`. */
export function loadVectors(): readonly Vector[] {
  return JSON.parse(fixture('vectors.json')) as Vector[];
}

/** RSASSA-PSS, SHA-256, MGF1-SHA-256, maximum salt length: base64 of the signature. */
export function signBytes(data: string | Uint8Array, key: FixtureKeyName = 'rsa-3072'): string {
  return sign('sha256', typeof data === 'string' ? Buffer.from(data, 'utf8') : data, {
    key: privateKey(key),
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN,
  }).toString('base64');
}

/** Options of {@link signedBody}. */
export interface SignOptions {
  /** Fixture key to sign with. Default `'rsa-3072'`. */
  key?: FixtureKeyName;
  /** Canonicalization of the signed string. Default `'strip-whitespace'`. */
  canonicalization?: CanonicalizationName;
  /** `sequence_number` to append when the payload has none (`null`: leave it out). Default 1. */
  sequenceNumber?: number | null;
}

/**
 * Signs a payload as Yoti would and returns the request body: the payload's fields in their
 * order, then `sequence_number` (unless present or `null`), then `signature` (replaced in
 * place when the payload already has one).
 */
export function signedBody(payload: Record<string, unknown>, options: SignOptions = {}): string {
  const canonicalization = options.canonicalization ?? 'strip-whitespace';
  const signature = signBytes(canonicalString(payload, canonicalization), options.key);
  const out: Record<string, unknown> = { ...payload };
  const sequenceNumber = options.sequenceNumber === undefined ? 1 : options.sequenceNumber;
  if (!Object.hasOwn(out, 'sequence_number') && sequenceNumber !== null) {
    out.sequence_number = sequenceNumber;
  }
  out.signature = signature;
  return JSON.stringify(out);
}

/** The documentation's example payload (SPEC §2), without `sequence_number` and `signature`. */
export function docsPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    method: 'AGE_ESTIMATION',
    result: false,
    age: 30,
    session_key: '69db8ad4-c983-40b3-b95a-a8fa576e70a6',
    reference_id: 'some_reference_id',
    id: '2480375e-ddc0-4832-9b82-b1d14af5cf75',
    timestamp: 1613482863,
    notification_url: 'https://mynotification.example.com',
    evidence_id: 'da4070de-3d34-44d7-86d4-7d6fdf547740',
    state: 'FAIL',
    check_type: 'NONE',
    ...overrides,
  };
}
