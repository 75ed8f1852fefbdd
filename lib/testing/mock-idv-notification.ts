import { randomUUID } from 'node:crypto';
import { IDV_TOPIC_ID_FIELDS } from '../core/idv-notification';
import type { IdvNotificationOf, IdvTopic, UnknownIdvNotification } from '../core/idv-notification';

/**
 * The overrides `mockIdvNotification` accepts for a topic: the topic's own fields with their
 * types (so `{ check_id: 42 }` does not compile), plus any extra field.
 */
export type IdvNotificationOverrides<T extends string> = T extends IdvTopic
  ? Partial<IdvNotificationOf<T>> & Readonly<Record<string, unknown>>
  : Partial<UnknownIdvNotification>;

/** What `mockIdvNotification` returns: the topic's notification type for a known topic. */
export type MockIdvNotification<T extends string> = T extends IdvTopic
  ? IdvNotificationOf<T>
  : UnknownIdvNotification;

/**
 * A realistic IDV notification payload for any topic, as Yoti would POST it: `session_id`
 * (a fresh uuid), the topic's id field (`resource_id`, `task_id` or `check_id`, a fresh
 * uuid) where the topic has one, and `topic`, in the order Yoti's documentation shows.
 * Topics this package does not know get `session_id` and `topic` only.
 *
 * `overrides` replace or add fields (extra fields are kept, in the order given); a field
 * overridden with `undefined` is left out, to build an incomplete payload. The result is a
 * plain object: send it with `deliver()` or `JSON.stringify` it yourself.
 *
 * @param topic - The payload topic, lower-case as on the wire, e.g. `'session_completion'`.
 * @param overrides - Fields to set, typed by topic.
 * @example
 * const n = mockIdvNotification('check_completion', { session_id: session.id });
 * // { session_id: '…', check_id: '3f0c…', topic: 'check_completion' }
 * await deliver(app, '/yoti/idv', n, { auth: { scheme: 'basic', token: 'user:pass' } }).expect(200);
 */
export function mockIdvNotification<T extends IdvTopic | (string & Record<never, never>)>(
  topic: T,
  overrides?: IdvNotificationOverrides<T>,
): MockIdvNotification<T> {
  if (typeof topic !== 'string' || topic.length === 0) {
    throw new TypeError('mockIdvNotification: topic must be a non-empty string');
  }
  const payload: Record<string, unknown> = { session_id: randomUUID() };
  const idField = (IDV_TOPIC_ID_FIELDS as Readonly<Record<string, string | undefined>>)[topic];
  if (idField !== undefined) payload[idField] = randomUUID();
  payload.topic = topic;
  return withOverrides(payload, overrides) as MockIdvNotification<T>;
}

/**
 * Applies overrides in place: known keys keep their position, new keys are appended (the
 * order matters for signed payloads), and `undefined` removes a key.
 */
export function withOverrides(
  payload: Record<string, unknown>,
  overrides: object | undefined,
): Record<string, unknown> {
  if (overrides === undefined) return payload;
  if (overrides === null || typeof overrides !== 'object' || Array.isArray(overrides)) {
    throw new TypeError('overrides must be an object of fields');
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete payload[key];
    else payload[key] = value;
  }
  return payload;
}
