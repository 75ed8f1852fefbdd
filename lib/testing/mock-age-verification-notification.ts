import { randomUUID } from 'node:crypto';
import type { AgeVerificationNotification } from '../core/age-verification-notification';
import { withOverrides } from './mock-idv-notification';

/**
 * An age verification notification before signing: every field but `signature`, with
 * `sequence_number` present as Yoti sends it.
 */
export type UnsignedAgeVerificationNotification = Omit<
  AgeVerificationNotification,
  'signature' | 'sequence_number'
> & { readonly sequence_number: number };

/**
 * The overrides `mockAgeVerificationNotification` accepts: the documented fields with their
 * types, plus any extra field. A `signature` set here is sent as is (to test a refusal);
 * `createTestSigner().sign()` replaces it with a real one.
 */
export type AgeVerificationOverrides = Partial<Omit<AgeVerificationNotification, 'signature'>> &
  Readonly<Record<string, unknown>>;

/** What `mockAgeVerificationNotification` returns for overrides of type `O`. */
export type MockAgeVerificationNotification<
  O extends AgeVerificationOverrides = Record<never, never>,
> = Omit<UnsignedAgeVerificationNotification, keyof O> & O;

/**
 * A realistic, unsigned age verification notification, with every documented field in the
 * order Yoti's documentation shows them: `method` `'AGE_ESTIMATION'`, `result` (true when
 * `state` is `'COMPLETE'`), `age` 25, `session_key` (fresh uuid), `reference_id`, `id`
 * (fresh uuid), `timestamp` (now, epoch seconds), `notification_url`, `evidence_id` (fresh
 * uuid), `state` `'COMPLETE'`, `check_type` `'NONE'`, `sequence_number` 1. No `signature`:
 * sign it with `createTestSigner().sign()`, or send it unsigned to test a 401.
 *
 * `overrides` replace or add fields (extra fields are appended, and are signed like the
 * others); a field overridden with `undefined` is left out.
 *
 * @example
 * const signer = await createTestSigner();
 * const payload = signer.sign(mockAgeVerificationNotification({ state: 'FAIL', age: 17 }));
 * await deliver(app, '/yoti/age', payload).expect(200);
 */
export function mockAgeVerificationNotification<
  const O extends AgeVerificationOverrides = Record<never, never>,
>(overrides?: O): MockAgeVerificationNotification<O> {
  const state = overrides?.state ?? 'COMPLETE';
  const payload: Record<string, unknown> = {
    method: 'AGE_ESTIMATION',
    result: state === 'COMPLETE',
    age: 25,
    session_key: randomUUID(),
    reference_id: 'test-reference',
    id: randomUUID(),
    timestamp: Math.floor(Date.now() / 1000),
    notification_url: 'https://app.example/yoti/age-verification',
    evidence_id: randomUUID(),
    state,
    check_type: 'NONE',
    sequence_number: 1,
  };
  return withOverrides(payload, overrides) as MockAgeVerificationNotification<O>;
}
