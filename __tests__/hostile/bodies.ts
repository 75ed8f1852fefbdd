import fc from 'fast-check';
import { MAX_JSON_DEPTH } from '../../lib/core/json';
import { decodeUtf8, depthOf } from './harness';
import type { Expected } from './harness';

// Hostile bodies shared by the IDV and age verification properties, and the oracle steps
// every JSON notification body goes through before its own checks.

/** Keys of Object.prototype, and others that a careless lookup would find. */
export const PROTOTYPE_NAMES = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'prototype',
  'isPrototypeOf',
];

/** An object as a list of members, so that duplicates and `__proto__` survive until serialised. */
export type Members = ReadonlyArray<readonly [string, unknown]>;

/** JSON text of members in order, duplicates included; pretty-printed when asked. */
export function serialise(members: Members, pretty = false): string {
  const sep = pretty ? ',\n  ' : ',';
  const colon = pretty ? ': ' : ':';
  const inner = members.map(([k, v]) => JSON.stringify(k) + colon + JSON.stringify(v)).join(sep);
  return pretty ? `{\n  ${inner}\n}` : `{${inner}}`;
}

/** Nested arrays `depth` deep, optionally holding a value. */
export const nested = (depth: number, inner = '') => '['.repeat(depth) + inner + ']'.repeat(depth);

/** A JSON value worth putting in a field: anything, with strings that matter here. */
export const fieldValue = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'a b',
      '\u2028',
      '\u00a0x',
      0,
      -1,
      1.5,
      2 ** 53,
      1e300,
      true,
      null,
      [],
      {},
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
);

/**
 * Mutations of one member list: drop, replace, empty, duplicate, move, add a member; the
 * result stays a member list.
 */
export function mutateMembers(
  members: Members,
  extraKeys: readonly string[],
): fc.Arbitrary<Members> {
  const index = fc.nat({ max: Math.max(0, members.length - 1) });
  const key = fc.oneof(
    fc.constantFrom(...members.map(([k]) => k), ...extraKeys, ...PROTOTYPE_NAMES),
    fc.string({ maxLength: 12 }),
  );
  return fc.oneof(
    fc.constant(members),
    index.map((i) => members.filter((_, j) => j !== i)),
    fc
      .tuple(index, fieldValue)
      .map(([i, v]) => members.map(([k, old], j) => [k, j === i ? v : old] as const)),
    fc.tuple(index, fieldValue).map(([i, v]) => [...members, [members[i]![0], v] as const]),
    index.map((i) => [...members.filter((_, j) => j !== i), members[i]!]),
    fc.tuple(key, fieldValue).map(([k, v]) => [...members, [k, v] as const]),
    fc.tuple(key, fieldValue).map(([k, v]) => [[k, v] as const, ...members]),
  );
}

/** Bodies that are not a notification at all. */
export const junkBodies: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.jsonValue({ maxDepth: 5 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  fc.string({ unit: 'grapheme', maxLength: 200 }).map((s) => Buffer.from(s)),
  fc.integer({ min: 1, max: 30_000 }).map((n) => Buffer.from(nested(n))),
  fc
    .integer({ min: 1, max: 20_000 })
    .map((n) => Buffer.from('{"a":'.repeat(n) + '1' + '}'.repeat(n))),
  fc
    .constantFrom(
      '',
      ' ',
      'null',
      '[]',
      '"text"',
      '{',
      '{}}',
      '{"a":1,}',
      "{'a':1}",
      '\ufeff{}',
      '{"__proto__":{"session_id":"s","topic":"session_completion"}}',
      '{"constructor":{"prototype":{"x":1}}}',
    )
    .map((s) => Buffer.from(s)),
);

/**
 * The oracle's first steps, the same for every JSON notification route: the bytes as text,
 * then JSON, then a plain object no deeper than the bound. Returns the refusal, or the value.
 */
export function readJson(
  body: Buffer,
  limit: number,
): { refused: Expected } | { value: Record<string, unknown>; text: string } {
  if (body.length > limit) return { refused: { status: 413, code: 'BODY_TOO_LARGE' } };
  const decoded = body.length === 0 ? undefined : decodeUtf8(body);
  if (decoded === undefined) return { refused: { status: 400, code: 'BODY_UNREADABLE' } };
  const text = decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { refused: { status: 400, code: 'PAYLOAD_MALFORMED' } };
  }
  if (
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    depthOf(value) > MAX_JSON_DEPTH
  ) {
    return { refused: { status: 400, code: 'PAYLOAD_INVALID' } };
  }
  return { value: value as Record<string, unknown>, text };
}

/** An own, non-empty string member. */
export const hasString = (payload: Record<string, unknown>, key: string) =>
  Object.hasOwn(payload, key) &&
  typeof payload[key] === 'string' &&
  (payload[key] as string).length > 0;
