import { PayloadInvalidError, PayloadMalformedError } from './errors';

/**
 * Deepest nesting of arrays and objects accepted in a payload. Yoti's payloads are flat;
 * the bound exists because `JSON.parse` accepts any depth, while the recursive steps after
 * it (freezing, and `JSON.stringify` when building the signed string) overflow the stack
 * at a few thousand levels, which a 64 KiB body easily reaches.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Parses the exact request bytes as JSON. The bytes were checked to be UTF-8 when read;
 * a leading byte order mark is not part of the JSON text and is skipped.
 *
 * `JSON.parse` defines every key, `__proto__` included, as an own data property, so no
 * payload can reach an object's prototype.
 *
 * @throws {PayloadMalformedError} `PAYLOAD_MALFORMED` when the bytes are not JSON.
 * @throws {PayloadInvalidError} `PAYLOAD_INVALID` when arrays and objects are nested more
 *   than {@link MAX_JSON_DEPTH} levels deep.
 */
export function parseJson(bytes: Uint8Array): unknown {
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const raw = buffer.toString('utf8');
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    // The parser's own message can quote the body; keep it out of the response.
    throw new PayloadMalformedError('Notification body is not valid JSON', { cause });
  }
  if (nestedDeeperThan(value, MAX_JSON_DEPTH)) {
    throw new PayloadInvalidError(
      '',
      `Notification payload is nested over ${MAX_JSON_DEPTH} levels`,
    );
  }
  return value;
}

/**
 * Whether arrays and objects in a parsed value nest more than `levels` deep. The recursion
 * stops one level past the bound, so it cannot overflow the stack whatever the input.
 */
function nestedDeeperThan(value: unknown, levels: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (levels === 0) return true;
  for (const member of Object.values(value)) {
    if (nestedDeeperThan(member, levels - 1)) return true;
  }
  return false;
}
