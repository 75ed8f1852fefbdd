/**
 * The two readings of "the payload without `sequence_number` and `signature`, as JSON with
 * spaces removed" that Yoti's official examples disagree on (see the README):
 * - `'strip-whitespace'`: compact JSON, then every whitespace character removed, inside
 *   string values too, as the official JavaScript example does (`.replace(/\s/g, '')`).
 * - `'compact'`: compact JSON with string values untouched, as the Python and C# examples do.
 */
export type CanonicalizationName = 'strip-whitespace' | 'compact';

/**
 * A custom canonicalization: the signed string (or bytes) for a parsed payload, whose keys
 * are in the order received. It should leave out `sequence_number` and `signature`.
 */
export type CanonicalizationFunction = (
  payload: Readonly<Record<string, unknown>>,
) => string | Uint8Array;

/** A named or custom canonicalization. */
export type Canonicalization = CanonicalizationName | CanonicalizationFunction;

/** The fields Yoti leaves out of the signed bytes. */
export const UNSIGNED_FIELDS: ReadonlySet<string> = new Set(['sequence_number', 'signature']);

/**
 * Compact JSON of the payload without `sequence_number` and `signature`, fields in the
 * order received. Every member is written by `JSON.stringify`, so numbers, escapes and
 * non-ASCII text (raw, encoded later as UTF-8) come out as a JavaScript signer's do.
 */
export function unsignedPayloadJson(payload: Readonly<Record<string, unknown>>): string {
  // An own function-valued `toJSON` member would become the copy's serialiser; such a payload
  // (never parsed JSON) is written member by member, which leaves that member out.
  if (Object.hasOwn(payload, 'toJSON') && typeof payload.toJSON === 'function') {
    return memberByMember(payload);
  }
  // Object rest copies the other own members in order as data properties: a `__proto__`
  // member stays a member, not the copy's prototype.
  const { sequence_number: _sequence, signature: _signature, ...signed } = payload;
  return JSON.stringify(signed);
}

/** The same JSON, written member by member. */
function memberByMember(payload: Readonly<Record<string, unknown>>): string {
  let json = '{';
  for (const key of Object.keys(payload)) {
    if (UNSIGNED_FIELDS.has(key)) continue;
    const value = JSON.stringify(payload[key]);
    // JSON.stringify leaves out members whose value has no JSON form; so do we.
    if (value === undefined) continue;
    json += (json.length === 1 ? '' : ',') + JSON.stringify(key) + ':' + value;
  }
  return json + '}';
}

/**
 * The string Yoti signs for a payload under one canonicalization.
 *
 * @example
 * canonicalString({ reference_id: 'a b', signature: 'x' }, 'strip-whitespace'); // '{"reference_id":"ab"}'
 */
export function canonicalString(
  payload: Readonly<Record<string, unknown>>,
  canonicalization: CanonicalizationName,
): string {
  const json = unsignedPayloadJson(payload);
  return canonicalization === 'compact' ? json : json.replace(/\s+/g, '');
}

/** A canonicalization ready to run: its name (`'custom'` for a function) and its bytes. */
export interface CompiledCanonicalization {
  readonly name: CanonicalizationName | 'custom';
  readonly bytes: (payload: Readonly<Record<string, unknown>>) => Buffer;
}

/**
 * Normalises the `canonicalization` option: one or a list, tried in the order given.
 *
 * @throws {TypeError} for an empty list or an unknown name.
 */
export function compileCanonicalizations(
  option: Canonicalization | readonly Canonicalization[] = 'strip-whitespace',
  where = 'verifySignature',
): readonly CompiledCanonicalization[] {
  const list = Array.isArray(option) ? option : [option as Canonicalization];
  if (list.length === 0) throw new TypeError(`${where}: canonicalization list is empty`);
  return Object.freeze(
    list.map((item: Canonicalization): CompiledCanonicalization => {
      if (typeof item === 'function') {
        return {
          name: 'custom',
          bytes: (payload) => {
            const out = item(payload);
            return typeof out === 'string' ? Buffer.from(out, 'utf8') : Buffer.from(out);
          },
        };
      }
      if (item !== 'strip-whitespace' && item !== 'compact') {
        throw new TypeError(
          `${where}: unknown canonicalization ${JSON.stringify(item)} (use 'strip-whitespace' or 'compact')`,
        );
      }
      return {
        name: item,
        bytes: (payload) => Buffer.from(canonicalString(payload, item), 'utf8'),
      };
    }),
  );
}
