import { execFileSync } from 'node:child_process';
import { constants, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGE_VERIFICATION_STATES, createSignatureVerifier } from '../../lib';
import { createTestSigner, mockAgeVerificationNotification } from '../../lib/testing';
import type { TestSigner } from '../../lib/testing';

const FIXTURES = join(__dirname, '..', 'fixtures', 'age-verification');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

let signer: TestSigner;
let work: string;

beforeAll(async () => {
  // One fresh 3072-bit key for the whole file: generating keys is the slow part.
  signer = await createTestSigner();
  work = mkdtempSync(join(tmpdir(), 'eyn-signer-'));
}, 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * The signed string, computed here without the package's code, as Yoti's JavaScript
 * example does: the payload minus the two unsigned fields, JSON, whitespace removed.
 */
function independentSignedString(payload: Record<string, unknown>, strip: boolean): string {
  const { sequence_number: _sequence, signature: _signature, ...signed } = payload;
  const json = JSON.stringify(signed);
  return strip ? json.replace(/\s/g, '') : json;
}

function opensslVerifies(publicKeyPem: string, data: string, signatureBase64: string): boolean {
  const dir = mkdtempSync(join(work, 'v-'));
  writeFileSync(join(dir, 'pub.pem'), publicKeyPem);
  writeFileSync(join(dir, 'data'), data, 'utf8');
  writeFileSync(join(dir, 'sig.bin'), Buffer.from(signatureBase64, 'base64'));
  try {
    const out = execFileSync(
      'openssl',
      [
        'dgst',
        '-sha256',
        '-sigopt',
        'rsa_padding_mode:pss',
        '-sigopt',
        'rsa_pss_saltlen:max',
        '-verify',
        join(dir, 'pub.pem'),
        '-signature',
        join(dir, 'sig.bin'),
        join(dir, 'data'),
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return out.includes('Verified OK');
  } catch {
    return false; // openssl exits 1 on "Verification failure"
  }
}

describe('createTestSigner', () => {
  test('a fresh 3072-bit RSA key, as PEM SPKI and PKCS#8', () => {
    expect(signer.publicKey).toMatch(
      /^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/,
    );
    expect(signer.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const key = createPublicKey(signer.publicKey);
    expect(key.asymmetricKeyType).toBe('rsa');
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(3072);
    expect(createPublicKey(signer.privateKey).export({ format: 'pem', type: 'spki' })).toBe(
      signer.publicKey,
    );
  });

  test('sign() returns a new object: fields in order, sequence_number 1, base64 signature', () => {
    const payload = mockAgeVerificationNotification({ sequence_number: undefined });
    const copy = structuredClone(payload);
    const signed = signer.sign(payload);
    expect(payload).toEqual(copy);
    expect(Object.keys(signed)).toEqual([...Object.keys(payload), 'sequence_number', 'signature']);
    expect(signed.sequence_number).toBe(1);
    expect(Buffer.from(signed.signature, 'base64')).toHaveLength(384);
    expect(signed.signature).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(signer.signedBody(payload)).toMatch(/^\{"method":"AGE_ESTIMATION",.*"signature":"/);
  });

  test('sign() keeps a sequence_number and its place, and replaces an old signature', () => {
    const payload = {
      ...mockAgeVerificationNotification({ sequence_number: 7 }),
      signature: 'old',
    };
    const signed = signer.sign(payload);
    expect(signed.sequence_number).toBe(7);
    expect(signed.signature).not.toBe('old');
    expect(Object.keys(signed)).toEqual(Object.keys(payload));
  });

  test('the maximum salt length: 3072-bit signatures verify with a 350-byte salt only', () => {
    const payload = mockAgeVerificationNotification();
    const signed = signer.sign(payload);
    const data = Buffer.from(independentSignedString(signed, true), 'utf8');
    const check = (saltLength: number) =>
      verify(
        'sha256',
        data,
        { key: signer.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength },
        Buffer.from(signed.signature, 'base64'),
      );
    expect(check(350)).toBe(true);
    expect(check(32)).toBe(false);
  });

  test.each(AGE_VERIFICATION_STATES)('round trip with the verifier: %s', (state) => {
    const verifier = createSignatureVerifier({ publicKey: signer.publicKey });
    const body = Buffer.from(signer.signedBody(mockAgeVerificationNotification({ state })));
    const verified = verifier(body);
    expect(verified.notification.state).toBe(state);
    expect(verified.canonicalization).toBe('strip-whitespace');
  });

  test('both canonicalizations: each verifies under its own name only', async () => {
    const compact = await createTestSigner({
      privateKey: signer.privateKey,
      canonicalization: 'compact',
    });
    expect(compact.publicKey).toBe(signer.publicKey);
    // Whitespace inside a value is where the two readings differ.
    const payload = mockAgeVerificationNotification({ reference_id: 'order 42\tfor\u00a0Ann' });
    const verifyStrip = createSignatureVerifier({ publicKey: signer.publicKey });
    const verifyCompact = createSignatureVerifier({
      publicKey: signer.publicKey,
      canonicalization: 'compact',
    });
    const stripped = Buffer.from(signer.signedBody(payload));
    const compacted = Buffer.from(compact.signedBody(payload));
    expect(verifyStrip(stripped).canonicalization).toBe('strip-whitespace');
    expect(verifyCompact(compacted).canonicalization).toBe('compact');
    expect(() => verifyStrip(compacted)).toThrow(
      expect.objectContaining({ code: 'SIGNATURE_INVALID', status: 401 }),
    );
    expect(() => verifyCompact(stripped)).toThrow(
      expect.objectContaining({ code: 'SIGNATURE_INVALID', status: 401 }),
    );
  });

  test('openssl, with a signed string built without the package, verifies both canonicalizations', async () => {
    const compact = await createTestSigner({
      privateKey: signer.privateKey,
      canonicalization: 'compact',
    });
    const payload = mockAgeVerificationNotification({
      reference_id: 'a b\nc',
      notification_url: 'https://app.example/yoti?x=1&y=é',
      nested: { list: [1, 'two words'] },
    });
    const stripped = signer.sign(payload);
    const compacted = compact.sign(payload);
    const stripString = independentSignedString(stripped, true);
    const compactString = independentSignedString(compacted, false);
    expect(stripString).not.toBe(compactString);
    expect(opensslVerifies(signer.publicKey, stripString, stripped.signature)).toBe(true);
    expect(opensslVerifies(signer.publicKey, compactString, compacted.signature)).toBe(true);
    // and openssl can refuse: the other string, or another key
    expect(opensslVerifies(signer.publicKey, compactString, stripped.signature)).toBe(false);
    expect(opensslVerifies(fixture('rsa-3072-public.pem'), stripString, stripped.signature)).toBe(
      false,
    );
  });

  test('a private key from a fixture: no generation, verifies against the fixture public key', async () => {
    const fromFixture = await createTestSigner({ privateKey: fixture('rsa-2048-private.pem') });
    expect(fromFixture.publicKey).toBe(
      createPublicKey(fixture('rsa-2048-public.pem')).export({ format: 'pem', type: 'spki' }),
    );
    const verifier = createSignatureVerifier({ publicKey: fixture('rsa-2048-public.pem') });
    const signed = fromFixture.signedBody(mockAgeVerificationNotification({ state: 'FAIL' }));
    expect(verifier(Buffer.from(signed)).notification.state).toBe('FAIL');
    expect(Buffer.from(JSON.parse(signed).signature, 'base64')).toHaveLength(256);
  });

  test('modulusLength picks the size of a generated key', async () => {
    const small = await createTestSigner({ modulusLength: 2048 });
    expect(createPublicKey(small.publicKey).asymmetricKeyDetails?.modulusLength).toBe(2048);
  }, 30_000);

  test('a custom canonicalization function is used as given', async () => {
    const custom = await createTestSigner({
      privateKey: signer.privateKey,
      canonicalization: (payload) => String(payload.id),
    });
    const signed = custom.sign(mockAgeVerificationNotification());
    expect(opensslVerifies(signer.publicKey, signed.id, signed.signature)).toBe(true);
  });

  test('bad options reject with a TypeError', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const cases: Array<Parameters<typeof createTestSigner>[0]> = [
      { modulusLength: 1024 },
      { modulusLength: 3072.5 },
      { privateKey: signer.privateKey, modulusLength: 3072 },
      { privateKey: 'not a key' },
      { privateKey: signer.publicKey },
      { privateKey: ec.privateKey },
      { canonicalization: 'pretty' as never },
      { canonicalization: ['compact'] as never },
    ];
    for (const options of cases) {
      await expect(createTestSigner(options)).rejects.toThrow(TypeError);
    }
    expect(() => signer.sign(null as never)).toThrow(TypeError);
  });
});
