import { deepFreeze, requireObject, requireString } from './payload';

/**
 * Every IDV topic this package knows, as it appears in a notification payload
 * (lower-case snake case). Session requests use the upper-case form; see
 * {@link idvNotificationConfig}.
 */
export const IDV_TOPICS = [
  'resource_update',
  'task_completion',
  'check_completion',
  'session_completion',
  'client_session_token_deleted',
  'new_pdf_supplied',
  'instructions_email_requested',
  'thank_you_email_requested',
  'first_branch_visit',
] as const;

/** A known IDV notification topic. */
export type IdvTopic = (typeof IDV_TOPICS)[number];

/** The id field each topic carries beside `session_id`; topics not listed carry none. */
export const IDV_TOPIC_ID_FIELDS = {
  resource_update: 'resource_id',
  task_completion: 'task_id',
  check_completion: 'check_id',
} as const satisfies Partial<Record<IdvTopic, string>>;

type IdFieldOf<T extends IdvTopic> = T extends keyof typeof IDV_TOPIC_ID_FIELDS
  ? (typeof IDV_TOPIC_ID_FIELDS)[T]
  : never;

/**
 * The IDV notification of one known topic: `session_id`, `topic`, and the topic's id
 * field where it has one. Field names are as on the wire. For a union of topics, the
 * union of their notifications.
 */
export type IdvNotificationOf<T extends IdvTopic> = T extends IdvTopic
  ? { readonly session_id: string; readonly topic: T } & { readonly [K in IdFieldOf<T>]: string }
  : never;

/** A `resource_update` notification. */
export type ResourceUpdateNotification = IdvNotificationOf<'resource_update'>;
/** A `task_completion` notification. */
export type TaskCompletionNotification = IdvNotificationOf<'task_completion'>;
/** A `check_completion` notification. */
export type CheckCompletionNotification = IdvNotificationOf<'check_completion'>;
/** A `session_completion` notification. */
export type SessionCompletionNotification = IdvNotificationOf<'session_completion'>;

/**
 * An IDV notification of a known topic: a union discriminated by `topic`, so that
 * `if (n.topic === 'check_completion') n.check_id` type-checks.
 */
export type IdvNotification = { [T in IdvTopic]: IdvNotificationOf<T> }[IdvTopic];

/**
 * An IDV notification whose topic this package does not know (Yoti adds topics). Its
 * fields are kept as they arrived, typed `unknown`.
 */
export interface UnknownIdvNotification {
  readonly session_id: string;
  readonly topic: string;
  readonly [field: string]: unknown;
}

/** Tells a notification of a known topic from one this package does not know yet. */
export function isKnownTopic(notification: {
  readonly topic: string;
}): notification is IdvNotification {
  return KNOWN_TOPICS.has(notification.topic);
}

const KNOWN_TOPICS: ReadonlySet<string> = new Set(IDV_TOPICS);

/**
 * Validates a parsed JSON value (from `parseJson`, so its nesting is bounded) as an IDV
 * notification and returns it deeply frozen. Extra fields are kept. Throws a
 * `PayloadInvalidError` (`PAYLOAD_INVALID`) naming the field at fault.
 */
export function toIdvNotification(value: unknown): IdvNotification | UnknownIdvNotification {
  const payload = requireObject(value);
  requireString(payload, 'session_id');
  const topic = requireString(payload, 'topic');
  // An own-property lookup: a topic named `constructor` or `__proto__` is an unknown topic,
  // not a key of Object.prototype. Topics match case-insensitively (the routers do too), so a
  // `CHECK_COMPLETION` notification needs its `check_id` as much as a lower-case one.
  const name = topic.toLowerCase();
  const idField = Object.hasOwn(IDV_TOPIC_ID_FIELDS, name)
    ? (IDV_TOPIC_ID_FIELDS as Record<string, string>)[name]
    : undefined;
  if (idField !== undefined) requireString(payload, idField);
  return deepFreeze(payload) as unknown as IdvNotification | UnknownIdvNotification;
}
