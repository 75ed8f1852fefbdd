import { parseJson } from '../../lib/core/json';

test('parses bytes as UTF-8 JSON, skipping a byte order mark', () => {
  expect(parseJson(Buffer.from('{"a":"é"}'))).toEqual({ a: 'é' });
  expect(parseJson(Buffer.from('\ufeff[1]'))).toEqual([1]);
  const view = new Uint8Array(Buffer.from('xx{"b":2}xx')).subarray(2, 9);
  expect(parseJson(view)).toEqual({ b: 2 });
});

test('not JSON is PAYLOAD_MALFORMED, and the message does not quote the body', () => {
  try {
    parseJson(Buffer.from('{"secret-token-123"'));
    throw new Error('unreachable');
  } catch (error) {
    expect((error as { code: string }).code).toBe('PAYLOAD_MALFORMED');
    expect((error as Error).message).not.toContain('secret');
  }
});
