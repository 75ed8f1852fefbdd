import { createPublicKey } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import type { JWK } from 'jose';
import { createSignatureVerifier } from '../../lib/core/age-verification';
import type { SignatureVerifierOptions } from '../../lib/core/age-verification';
import { toAgeVerificationNotification } from '../../lib/core/age-verification-notification';
import { canonicalString } from '../../lib/core/canonical-string';
import type { CanonicalizationName } from '../../lib/core/canonical-string';
import type { NotificationError } from '../../lib/core/errors';
import { PayloadInvalidError } from '../../lib/core/errors';
import { docsPayload, loadVectors, publicPem, signedBody } from '../support/sign-age-verification';
import type { Vector } from '../support/sign-age-verification';
import { thrown } from '../support/errors';

const vectors = loadVectors();
const bytes = (text: string) => Buffer.from(text, 'utf8');
const other = (c: CanonicalizationName): CanonicalizationName =>
  c === 'compact' ? 'strip-whitespace' : 'compact';
const differs = (v: Vector) =>
  canonicalString(JSON.parse(v.body) as Record<string, unknown>, other(v.canonicalization)) !==
  v.signedString;

const failure = (verify: (body: Uint8Array) => unknown, body: string): NotificationError =>
  thrown(() => verify(bytes(body)));

const named = (vs: readonly Vector[]) => vs.map((v) => [v.name, v] as const);

describe('createSignatureVerifier() with the committed vectors', () => {
  test.each(named(vectors))('%s verifies with its key and canonicalization', (_n, vector) => {
    const verify = createSignatureVerifier({
      publicKey: publicPem(vector.key),
      canonicalization: vector.canonicalization,
    });
    const result = verify(bytes(vector.body));
    expect(result.notification).toEqual(JSON.parse(vector.body));
    expect(result.keyIndex).toBe(0);
    expect(result.canonicalization).toBe(vector.canonicalization);
  });

  test('both kinds of vector exist: canonical strings that differ and that do not', () => {
    expect(vectors.filter(differs).length).toBeGreaterThanOrEqual(4);
    expect(vectors.filter((v) => !differs(v)).length).toBeGreaterThanOrEqual(4);
  });

  test.each(named(vectors))(
    '%s: with the other canonicalization only, fails exactly when the strings differ',
    (_n, vector) => {
      const verify = createSignatureVerifier({
        publicKey: publicPem(vector.key),
        canonicalization: other(vector.canonicalization),
      });
      if (differs(vector)) {
        expect(failure(verify, vector.body).code).toBe('SIGNATURE_INVALID');
      } else {
        expect(verify(bytes(vector.body)).canonicalization).toBe(other(vector.canonicalization));
      }
    },
  );

  test.each(named(vectors))(
    "%s: ['compact', 'strip-whitespace'] accepts it and says which verified",
    (_n, vector) => {
      const verify = createSignatureVerifier({
        publicKey: publicPem(vector.key),
        canonicalization: ['compact', 'strip-whitespace'],
      });
      // Tried in order: compact wins whenever both strings are the same.
      expect(verify(bytes(vector.body)).canonicalization).toBe(
        differs(vector) ? vector.canonicalization : 'compact',
      );
    },
  );

  test('a canonicalization function is used as given and reported as custom', () => {
    const seen: unknown[] = [];
    const verify = createSignatureVerifier({
      publicKey: publicPem('rsa-3072'),
      canonicalization: (payload) => {
        seen.push(payload);
        return canonicalString(payload, 'compact');
      },
    });
    const vector = vectors.find((v) => v.name === 'spaced-body-compact')!;
    expect(verify(bytes(vector.body)).canonicalization).toBe('custom');
    expect(seen).toEqual([JSON.parse(vector.body)]);
    const wrong = createSignatureVerifier({
      publicKey: publicPem('rsa-3072'),
      canonicalization: () => 'something else',
    });
    expect(failure(wrong, vector.body).code).toBe('SIGNATURE_INVALID');
  });

  test('a canonicalization function that throws verifies nothing (401), the next one is tried', () => {
    const vector = vectors.find((v) => v.name === 'spaced-body-compact')!;
    const throwing = () => {
      throw new Error('no canonical form');
    };
    const alone = createSignatureVerifier({
      publicKey: publicPem('rsa-3072'),
      canonicalization: throwing,
    });
    expect(failure(alone, vector.body).code).toBe('SIGNATURE_INVALID');
    const withFallback = createSignatureVerifier({
      publicKey: publicPem('rsa-3072'),
      canonicalization: [throwing, 'compact'],
    });
    expect(withFallback(bytes(vector.body)).canonicalization).toBe('compact');
  });

  test('key rotation: any key of the list verifies; keyIndex and keyThumbprint say which', async () => {
    const verify = createSignatureVerifier({
      publicKey: [publicPem('rsa-2048'), publicPem('rsa-3072')],
      canonicalization: ['strip-whitespace', 'compact'],
    });
    const thumbprints = await Promise.all(
      (['rsa-2048', 'rsa-3072'] as const).map((k) =>
        calculateJwkThumbprint(createPublicKey(publicPem(k)).export({ format: 'jwk' }) as JWK),
      ),
    );
    for (const vector of vectors) {
      const index = vector.key === 'rsa-2048' ? 0 : 1;
      const result = verify(bytes(vector.body));
      expect([vector.name, result.keyIndex, result.keyThumbprint]).toEqual([
        vector.name,
        index,
        thumbprints[index],
      ]);
    }
  });

  test('createSignatureVerifier() says how, in a frozen result', () => {
    const result = createSignatureVerifier({ publicKey: publicPem('rsa-3072') })(
      bytes(vectors.find((v) => v.key === 'rsa-3072')!.body),
    );
    expect(Object.isFrozen(result)).toBe(true);
    expect(Object.keys(result).sort()).toEqual(
      ['canonicalization', 'keyIndex', 'keyThumbprint', 'notification'].sort(),
    );
  });

  test('the 2048-signed vector fails against the 3072 key', () => {
    const vector = vectors.find((v) => v.name === 'wrong-key-signed-with-rsa-2048')!;
    const verify = createSignatureVerifier({ publicKey: publicPem('rsa-3072') });
    expect(failure(verify, vector.body).code).toBe('SIGNATURE_INVALID');
  });

  test("the docs' example with a fake signature fails against the default (Yoti) key", () => {
    const verify = createSignatureVerifier();
    const fake = Buffer.alloc(384, 7).toString('base64');
    const body = JSON.stringify({ ...docsPayload(), sequence_number: 1, signature: fake });
    expect(failure(verify, body).code).toBe('SIGNATURE_INVALID');
    // …and a test vector signed with a test key is not a Yoti notification either.
    expect(failure(verify, vectors[0]!.body).code).toBe('SIGNATURE_INVALID');
  });
});

describe('what the signature covers', () => {
  const verify = createSignatureVerifier({ publicKey: publicPem('rsa-3072') });

  test('not sequence_number: another number (or none) still verifies', () => {
    const body = JSON.parse(signedBody(docsPayload())) as Record<string, unknown>;
    for (const sequence of [1, 2, 99]) {
      const result = verify(bytes(JSON.stringify({ ...body, sequence_number: sequence })));
      expect(result.notification.sequence_number).toBe(sequence);
    }
    const { sequence_number: _drop, ...without } = body;
    expect(verify(bytes(JSON.stringify(without))).notification.sequence_number).toBeUndefined();
  });

  test('unknown extra fields: kept on the notification and signed', () => {
    const body = signedBody(docsPayload({ vendor: { trace: ['a', 1] }, x: 'y' }));
    expect(verify(bytes(body)).notification).toMatchObject({ vendor: { trace: ['a', 1] }, x: 'y' });
    const tampered = body.replace('"x":"y"', '"x":"z"');
    expect(failure(verify, tampered).code).toBe('SIGNATURE_INVALID');
    const added = body.replace('"x":"y"', '"x":"y","more":1');
    expect(failure(verify, added).code).toBe('SIGNATURE_INVALID');
  });

  test('the field order as received: the same fields reordered do not verify', () => {
    const body = JSON.parse(signedBody(docsPayload())) as Record<string, unknown>;
    const { method, ...rest } = body;
    expect(failure(verify, JSON.stringify({ ...rest, method })).code).toBe('SIGNATURE_INVALID');
  });

  test('a duplicate key cannot smuggle a value past the signature', () => {
    const body = signedBody(docsPayload({ state: 'FAIL' }));
    const smuggled = body.replace('"state":"FAIL"', '"state":"FAIL","state":"COMPLETE"');
    expect(failure(verify, smuggled).code).toBe('SIGNATURE_INVALID');
  });

  test('the notification is deeply frozen', () => {
    const { notification } = verify(bytes(signedBody(docsPayload({ extra: { a: [1] } }))));
    expect(Object.isFrozen(notification)).toBe(true);
    expect(Object.isFrozen((notification as unknown as { extra: { a: unknown } }).extra.a)).toBe(
      true,
    );
  });
});

describe('payload checks', () => {
  const verify = createSignatureVerifier({ publicKey: publicPem('rsa-3072') });
  const invalid = (payload: Record<string, unknown>) => {
    const error = failure(verify, signedBody(payload));
    expect(error).toBeInstanceOf(PayloadInvalidError);
    expect(error.code).toBe('PAYLOAD_INVALID');
    expect(error.status).toBe(400);
    return error as PayloadInvalidError;
  };

  test.each(['not json', '{"state":', '', '\u0000'])('%j → PAYLOAD_MALFORMED', (body) => {
    const error = failure(verify, body);
    expect([error.code, error.status]).toEqual(['PAYLOAD_MALFORMED', 400]);
  });

  test.each(['[]', '"text"', '42', 'null', 'true'])(
    '%s (not an object) → PAYLOAD_INVALID',
    (body) => {
      const error = failure(verify, body) as PayloadInvalidError;
      expect([error.code, error.field]).toEqual(['PAYLOAD_INVALID', '']);
    },
  );

  test('a byte order mark before the JSON is skipped', () => {
    expect(verify(bytes('\ufeff' + signedBody(docsPayload()))).notification.state).toBe('FAIL');
  });

  test.each(['method', 'age', 'session_key', 'id', 'timestamp', 'evidence_id', 'state'])(
    'a signed payload without %s → PAYLOAD_INVALID naming it',
    (field) => {
      const payload = docsPayload();
      delete payload[field];
      const error = invalid(payload);
      expect(error.field).toBe(field);
      expect(error.message).toContain(field);
    },
  );

  test.each<[string, unknown]>([
    ['method', 42],
    ['method', ''],
    ['result', 'false'],
    ['result', 0],
    ['age', '30'],
    ['age', 30.5],
    ['age', null],
    ['session_key', ''],
    ['session_key', 1],
    ['reference_id', 7],
    ['id', ['x']],
    ['timestamp', '1613482863'],
    ['timestamp', 1613482863.5],
    ['timestamp', 2 ** 53],
    ['notification_url', false],
    ['evidence_id', {}],
    ['state', 1],
    ['state', ''],
    ['check_type', null],
    ['error_code', 500],
  ])('%s = %j → PAYLOAD_INVALID naming it', (field, value) => {
    const error = invalid(docsPayload({ [field]: value }));
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
  });

  test('a bad sequence_number → PAYLOAD_INVALID naming it', () => {
    const body = signedBody(docsPayload(), { sequenceNumber: null }).replace(
      '{',
      '{"sequence_number":"one",',
    );
    const error = failure(verify, body) as PayloadInvalidError;
    expect([error.code, error.field]).toEqual(['PAYLOAD_INVALID', 'sequence_number']);
  });

  test('optional fields may be absent', () => {
    const payload = docsPayload();
    for (const field of ['result', 'reference_id', 'notification_url', 'check_type']) {
      delete payload[field];
    }
    const { notification } = verify(bytes(signedBody(payload, { sequenceNumber: null })));
    expect(Object.keys(notification)).toEqual([
      'method',
      'age',
      'session_key',
      'id',
      'timestamp',
      'evidence_id',
      'state',
      'signature',
    ]);
  });

  test('open sets stay open: new methods, states and check types are accepted', () => {
    const payload = docsPayload({ method: 'VOICE', state: 'PENDING_REVIEW', check_type: 'X' });
    expect(verify(bytes(signedBody(payload))).notification).toMatchObject({
      method: 'VOICE',
      state: 'PENDING_REVIEW',
      check_type: 'X',
    });
  });

  test('authenticity is checked before shape: an unsigned bad payload learns nothing', () => {
    expect(failure(verify, '{"age":"x"}').code).toBe('SIGNATURE_MISSING');
    expect(failure(verify, '{"age":"x","signature":"AAAA"}').code).toBe('SIGNATURE_INVALID');
  });

  test('toAgeVerificationNotification() keeps the JSON types documented', () => {
    const payload = JSON.parse(signedBody(docsPayload({ error_code: 'E1' })));
    expect(toAgeVerificationNotification(payload)).toBe(payload);
  });
});

describe('signature field', () => {
  const verify = createSignatureVerifier({ publicKey: publicPem('rsa-3072') });
  const withSignature = (value: unknown) =>
    JSON.stringify({ ...docsPayload(), sequence_number: 1, signature: value });

  test.each<[string, unknown, string]>([
    ['absent', undefined, 'SIGNATURE_MISSING'],
    ['empty', '', 'SIGNATURE_MISSING'],
    ['a number', 1, 'SIGNATURE_INVALID'],
    ['null', null, 'SIGNATURE_INVALID'],
    ['an object', {}, 'SIGNATURE_INVALID'],
    ['an array', [], 'SIGNATURE_INVALID'],
    ['garbage', '%%%%', 'SIGNATURE_INVALID'],
    ['base64 of the wrong length', 'AAAA', 'SIGNATURE_INVALID'],
    ['a 10 MB string', 'A'.repeat(10 * 1024 * 1024), 'SIGNATURE_INVALID'],
  ])('%s → %s (401)', (_what, value, code) => {
    const error = failure(verify, withSignature(value));
    expect([error.code, error.status]).toEqual([code, 401]);
  });
});

describe('freshness (maxAgeSeconds)', () => {
  const timestamp = 1_700_000_000;
  const body = signedBody(docsPayload({ timestamp }));
  const at = (seconds: number, options: SignatureVerifierOptions = {}) =>
    createSignatureVerifier({
      publicKey: publicPem('rsa-3072'),
      maxAgeSeconds: 300,
      now: () => seconds * 1000,
      ...options,
    });

  test.each([0, 1, -1, 299.999, 300, -300])('%s s from the timestamp: accepted', (offset) => {
    expect(at(timestamp + offset)(bytes(body)).notification.timestamp).toBe(timestamp);
  });

  test.each([300.001, 3600, -300.001, -86_400])(
    '%s s from the timestamp: NOTIFICATION_EXPIRED (401)',
    (offset) => {
      const error = failure(at(timestamp + offset), body);
      expect([error.code, error.status]).toEqual(['NOTIFICATION_EXPIRED', 401]);
    },
  );

  test('off by default: a notification from 2021 is accepted', () => {
    const vector = vectors[0]!;
    expect(JSON.parse(vector.body).timestamp).toBeLessThan(1_700_000_000);
    const verify = createSignatureVerifier({ publicKey: publicPem('rsa-3072') });
    expect(verify(bytes(vector.body)).notification.id).toBe(JSON.parse(vector.body).id);
  });

  test('the signature is checked first: a forged stale notification is SIGNATURE_INVALID', () => {
    const forged = body.replace('"state":"FAIL"', '"state":"COMPLETE"');
    expect(failure(at(timestamp + 10_000), forged).code).toBe('SIGNATURE_INVALID');
  });

  test('now defaults to Date.now', () => {
    const verify = createSignatureVerifier({ publicKey: publicPem('rsa-3072'), maxAgeSeconds: 60 });
    const fresh = signedBody(docsPayload({ timestamp: Math.floor(Date.now() / 1000) }));
    expect(verify(bytes(fresh)).notification.state).toBe('FAIL');
    expect(failure(verify, body).code).toBe('NOTIFICATION_EXPIRED');
  });

  test.each<[string, unknown]>([
    ['0', 0],
    ['negative', -5],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['a string', '300'],
    ['null', null],
  ])('maxAgeSeconds %s → TypeError at setup', (_what, maxAgeSeconds) => {
    expect(() =>
      createSignatureVerifier({ publicKey: publicPem('rsa-3072'), maxAgeSeconds } as never),
    ).toThrow(TypeError);
  });

  test('a clock that returns NaN refuses (fails closed)', () => {
    const verify = createSignatureVerifier({
      publicKey: publicPem('rsa-3072'),
      maxAgeSeconds: 300,
      now: () => Number.NaN,
    });
    expect(failure(verify, body).code).toBe('NOTIFICATION_EXPIRED');
  });

  test('now that is not a function → TypeError at setup', () => {
    expect(() =>
      createSignatureVerifier({ maxAgeSeconds: 60, now: 1_700_000_000_000 } as never),
    ).toThrow(TypeError);
  });

  test('an unknown canonicalization → TypeError at setup', () => {
    expect(() => createSignatureVerifier({ canonicalization: 'pretty' as never })).toThrow(
      TypeError,
    );
    expect(() => createSignatureVerifier({ canonicalization: [] })).toThrow(TypeError);
  });
});
