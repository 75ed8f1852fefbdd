import { IDV_TOPIC_ID_FIELDS, isKnownTopic } from './idv-notification';
import type { Notification } from './notification';

/**
 * Derives the key under which `deduplicate()` records a notification, or `undefined` to let
 * it through without de-duplication. Called with the validated `req.notification`.
 *
 * @example
 * const oncePerSession: DeduplicationKey = (n) => ('topic' in n ? n.session_id : n.id);
 */
export type DeduplicationKey = (notification: Notification) => string | undefined;

// Topics whose notifications may legitimately repeat with the same fields: every update
// to a resource is a new event, yet carries only `session_id` and `resource_id`.
const REPEATABLE_TOPICS: ReadonlySet<string> = new Set(['resource_update']);

/**
 * The default key of `deduplicate()`:
 *
 * - age verification: `av:<id>`, the notification id, which every redelivery keeps;
 * - IDV (no notification id exists): `idv:<session_id>:<topic>`, plus `:<task_id>` or
 *   `:<check_id>` for the topics that carry one;
 * - `undefined` (not de-duplicated) for `resource_update`, which can legitimately repeat
 *   for the same resource, and for a topic this package does not know yet, whose id field
 *   is unknown.
 *
 * Each part is URI-encoded, so different notifications never share a key.
 *
 * @example
 * defaultDeduplicationKey({ session_id: 's1', topic: 'check_completion', check_id: 'c1' });
 * // → 'idv:s1:check_completion:c1'
 */
export function defaultDeduplicationKey(notification: Notification): string | undefined {
  const fields = notification as unknown as Record<string, unknown>;
  if (typeof fields.topic === 'string') {
    const idv = notification as { readonly topic: string; readonly session_id: string };
    if (!isKnownTopic(idv) || REPEATABLE_TOPICS.has(idv.topic)) return undefined;
    const idField = (IDV_TOPIC_ID_FIELDS as Record<string, string | undefined>)[idv.topic];
    const parts = [idv.session_id, idv.topic];
    if (idField !== undefined) parts.push(String(fields[idField]));
    return 'idv:' + parts.map(encodeURIComponent).join(':');
  }
  if (typeof fields.id === 'string') return 'av:' + encodeURIComponent(fields.id);
  return undefined;
}
