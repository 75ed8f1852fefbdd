import { toIdvNotification } from '../../lib/core/idv-notification';
import { deepFreeze } from '../../lib/core/payload';
import { MAX_JSON_DEPTH, parseJson } from '../../lib/core/json';
import { thrown } from '../support/errors';

test('parses bytes as UTF-8 JSON, skipping a byte order mark', () => {
  expect(parseJson(Buffer.from('{"a":"é"}'))).toEqual({ a: 'é' });
  expect(parseJson(Buffer.from('\ufeff[1]'))).toEqual([1]);
  const view = new Uint8Array(Buffer.from('xx{"b":2}xx')).subarray(2, 9);
  expect(parseJson(view)).toEqual({ b: 2 });
});

test('not JSON is PAYLOAD_MALFORMED, and the message does not quote the body', () => {
  const error = thrown(() => parseJson(Buffer.from('{"secret-token-123"')));
  expect(error.code).toBe('PAYLOAD_MALFORMED');
  expect(error.message).not.toContain('secret');
});

describe('nesting bound', () => {
  const nestedArrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
  const idv = (extra: string) => `{"session_id":"s","topic":"session_completion","extra":${extra}}`;
  const codeOf = (fn: () => unknown) => {
    try {
      fn();
      return undefined;
    } catch (error) {
      return (error as { code?: string }).code;
    }
  };

  test('parseJson accepts 64 levels and refuses 65 with PAYLOAD_INVALID', () => {
    expect(codeOf(() => parseJson(Buffer.from(nestedArrays(MAX_JSON_DEPTH))))).toBeUndefined();
    expect(codeOf(() => parseJson(Buffer.from(nestedArrays(MAX_JSON_DEPTH + 1))))).toBe(
      'PAYLOAD_INVALID',
    );
    // Brackets inside strings are text, not nesting: the bound applies to the parsed value.
    expect(parseJson(Buffer.from(JSON.stringify({ a: '['.repeat(500) })))).toEqual({
      a: '['.repeat(500),
    });
  });

  test('an IDV notification is bounded by the same check: 64 levels in all, no more', () => {
    // The object itself is level 1, so its member may hold 63 more.
    const ok = toIdvNotification(parseJson(Buffer.from(idv(nestedArrays(63)))));
    expect(Object.isFrozen((ok as unknown as { extra: unknown[] }).extra)).toBe(true);
    expect(codeOf(() => toIdvNotification(parseJson(Buffer.from(idv(nestedArrays(64))))))).toBe(
      'PAYLOAD_INVALID',
    );
    // Thousands of levels: refused without exhausting the stack.
    expect(codeOf(() => toIdvNotification(parseJson(Buffer.from(idv(nestedArrays(30_000))))))).toBe(
      'PAYLOAD_INVALID',
    );
  });

  test('deepFreeze freezes every level', () => {
    const value = JSON.parse('{"a":{"b":[{"c":1}]},"d":[[2]]}');
    deepFreeze(value);
    expect(Object.isFrozen(value.a.b[0])).toBe(true);
    expect(Object.isFrozen(value.d[0])).toBe(true);
  });
});
