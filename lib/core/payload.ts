// The checks every payload goes through, IDV and age verification alike.
import { PayloadInvalidError } from './errors';

/** Asserts a JSON object (not an array, not null). */
export function requireObject(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PayloadInvalidError('', 'Notification payload must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** Asserts a non-empty string field and returns it. */
export function requireString(payload: Record<string, unknown>, field: string): string {
  const value = Object.hasOwn(payload, field) ? payload[field] : undefined;
  if (typeof value !== 'string' || value.length === 0) {
    throw new PayloadInvalidError(
      field,
      value === undefined ? `Missing field ${field}` : `Field ${field} must be a non-empty string`,
    );
  }
  return value;
}

/**
 * Freezes a parsed JSON value in place. Values come from `parseJson`, so there are no
 * cycles, nesting is bounded (`MAX_JSON_DEPTH`), and a `__proto__` key is an ordinary own
 * data property, never the prototype.
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
