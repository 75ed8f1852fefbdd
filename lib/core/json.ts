import { PayloadMalformedError } from './errors';

/**
 * Parses the exact request bytes as JSON. The bytes were checked to be UTF-8 when read;
 * a leading byte order mark is not part of the JSON text and is skipped.
 *
 * `JSON.parse` defines every key, `__proto__` included, as an own data property, so no
 * payload can reach an object's prototype.
 *
 * @throws {PayloadMalformedError} `PAYLOAD_MALFORMED` when the bytes are not JSON.
 */
export function parseJson(bytes: Uint8Array): unknown {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (cause) {
    // The parser's own message can quote the body; keep it out of the response.
    throw new PayloadMalformedError('Notification body is not valid JSON', { cause });
  }
}
