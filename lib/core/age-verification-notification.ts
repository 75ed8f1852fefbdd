import { PayloadInvalidError } from './errors';
import { deepFreeze, requireObject, requireString } from './payload';

/** The age verification states Yoti documents. More may be added: always handle a default. */
export const AGE_VERIFICATION_STATES = ['COMPLETE', 'FAIL', 'ERROR'] as const;

/** A documented age verification state. */
export type AgeVerificationState = (typeof AGE_VERIFICATION_STATES)[number];

/**
 * An open set of strings whose known members still autocomplete: Yoti adds values to
 * `method`, `state` and `check_type` without notice.
 */
export type OpenString<Known extends string> = Known | (string & Record<never, never>);

/**
 * An age verification notification, field names as on the wire and in Yoti's documentation.
 * Fields this package does not know are kept on the object as they arrived (and were
 * covered by the signature).
 */
export interface AgeVerificationNotification {
  /** How the age was checked: `AGE_ESTIMATION`, `DOC_SCAN`, `DIGITAL_ID`, … */
  readonly method: OpenString<'AGE_ESTIMATION' | 'DOC_SCAN' | 'DIGITAL_ID'>;
  /** @deprecated Yoti deprecates `result` in favour of `state`. */
  readonly result?: boolean;
  /** The age (for an age check) or the threshold. */
  readonly age: number;
  /** The age verification session id. */
  readonly session_key: string;
  /** The relying party's own reference, echoed. User controlled: treat as untrusted text. */
  readonly reference_id?: string;
  /** The notification id: the same on every redelivery; use it to de-duplicate. */
  readonly id: string;
  /** When the notification was first sent, in epoch seconds (redeliveries keep it). */
  readonly timestamp: number;
  /** The notification URL, echoed. */
  readonly notification_url?: string;
  /** One verification attempt. */
  readonly evidence_id: string;
  /** `COMPLETE`, `FAIL`, `ERROR`, or a state Yoti adds later. */
  readonly state: OpenString<AgeVerificationState>;
  /** Liveness level: `NONE`, `PASSIVE`, `ACTIVE` (the sandbox sends `SESSION`). */
  readonly check_type?: OpenString<'NONE' | 'PASSIVE' | 'ACTIVE' | 'SESSION'>;
  /** Present on some failures. */
  readonly error_code?: string;
  /** Attempt number, from 1. Not covered by the signature. */
  readonly sequence_number?: number;
  /** Base64 RSA-PSS signature over the other fields. */
  readonly signature: string;
}

/** An age verification notification whose `state` is known to be `S`. */
export type AgeVerificationNotificationOf<S extends string> = AgeVerificationNotification & {
  readonly state: S;
};

type FieldType = 'string' | 'integer' | 'boolean';

// Required fields are those present in every documented example and needed to act on a
// result; the others are checked for their type when present.
const FIELDS: ReadonlyArray<readonly [name: string, type: FieldType, required: boolean]> = [
  ['method', 'string', true],
  ['result', 'boolean', false],
  ['age', 'integer', true],
  ['session_key', 'string', true],
  ['reference_id', 'string', false],
  ['id', 'string', true],
  ['timestamp', 'integer', true],
  ['notification_url', 'string', false],
  ['evidence_id', 'string', true],
  ['state', 'string', true],
  ['check_type', 'string', false],
  ['error_code', 'string', false],
  ['sequence_number', 'integer', false],
  ['signature', 'string', true],
];

/**
 * Validates a parsed JSON value as an age verification notification and returns it deeply
 * frozen, extra fields kept.
 *
 * @throws {PayloadInvalidError} `PAYLOAD_INVALID` naming the first field at fault.
 */
export function toAgeVerificationNotification(value: unknown): AgeVerificationNotification {
  const payload = requireObject(value);
  for (let i = 0; i < FIELDS.length; i++) {
    const [name, type, required] = FIELDS[i]!;
    if (!Object.hasOwn(payload, name)) {
      if (required) throw new PayloadInvalidError(name, `Missing field ${name}`);
      continue;
    }
    if (type === 'string' && required) requireString(payload, name);
    else if (!hasType(payload[name], type)) {
      throw new PayloadInvalidError(name, `Field ${name} must be ${article(type)}`);
    }
  }
  return deepFreeze(payload) as unknown as AgeVerificationNotification;
}

function hasType(value: unknown, type: FieldType): boolean {
  if (type === 'integer') return Number.isSafeInteger(value);
  return typeof value === type;
}

function article(type: FieldType): string {
  return type === 'integer' ? 'an integer' : `a ${type}`;
}
