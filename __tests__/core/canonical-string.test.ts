import fc from 'fast-check';
import {
  canonicalString,
  compileCanonicalizations,
  UNSIGNED_FIELDS,
  unsignedPayloadJson,
} from '../../lib/core/canonical-string';
import { loadVectors } from '../support/sign-age-verification';

const vectors = loadVectors();

describe('canonicalString() against the independently signed vectors', () => {
  test.each(vectors.map((v) => [v.name, v] as const))('%s', (_name, vector) => {
    const payload = JSON.parse(vector.body) as Record<string, unknown>;
    expect(canonicalString(payload, vector.canonicalization)).toBe(vector.signedString);
  });

  test('the vectors exercise both canonicalizations, both signers and both keys', () => {
    const seen = (field: 'canonicalization' | 'signer' | 'key') =>
      new Set(vectors.map((v) => v[field]));
    expect(seen('canonicalization')).toEqual(new Set(['strip-whitespace', 'compact']));
    expect(seen('signer')).toEqual(new Set(['openssl', 'java']));
    expect(seen('key')).toEqual(new Set(['rsa-3072', 'rsa-2048']));
  });
});

describe('the signed string', () => {
  test('leaves out sequence_number and signature wherever they appear, keeps received order', () => {
    const payload = JSON.parse(
      '{"signature":"sig","state":"COMPLETE","sequence_number":3,"age":18,"method":"DOC_SCAN"}',
    ) as Record<string, unknown>;
    expect(unsignedPayloadJson(payload)).toBe('{"state":"COMPLETE","age":18,"method":"DOC_SCAN"}');
    expect([...UNSIGNED_FIELDS].sort()).toEqual(['sequence_number', 'signature']);
  });

  test('nested sequence_number or signature fields are signed (only top-level ones are not)', () => {
    const payload = { extra: { signature: 'in', sequence_number: 2 }, signature: 'out' };
    expect(canonicalString(payload, 'compact')).toBe(
      '{"extra":{"signature":"in","sequence_number":2}}',
    );
  });

  test('strip-whitespace removes every JavaScript whitespace character, inside strings too', () => {
    const payload = { reference_id: 'a b\tc\nd\u00a0e\u2003f\u3000g\ufeffh\u200bi' };
    // U+200B (zero width space) is not whitespace for \s, so it stays.
    expect(canonicalString(payload, 'strip-whitespace')).toBe(
      '{"reference_id":"ab\\tc\\nd' + 'efgh\u200bi"}',
    );
  });

  test('"a b" and "ab" share a strip-whitespace string but not a compact one', () => {
    const spaced = { reference_id: 'a b' };
    const joined = { reference_id: 'ab' };
    expect(canonicalString(spaced, 'strip-whitespace')).toBe(
      canonicalString(joined, 'strip-whitespace'),
    );
    expect(canonicalString(spaced, 'compact')).not.toBe(canonicalString(joined, 'compact'));
  });

  test('escaped control characters lose their letter only if it is whitespace: \\t stays', () => {
    // JSON.stringify writes a tab as the two characters "\t", which are not whitespace.
    expect(canonicalString({ r: 'a\tb' }, 'strip-whitespace')).toBe('{"r":"a\\tb"}');
    expect(canonicalString({ r: 'a\u0001b' }, 'compact')).toBe('{"r":"a\\u0001b"}');
  });

  test('/, &, <, > and non-ASCII are written raw, as JSON.stringify does', () => {
    const payload = { url: 'https://x.example/a?b=1&c=<d>', name: 'Zoë 東京 🚀' };
    expect(canonicalString(payload, 'compact')).toBe(
      '{"url":"https://x.example/a?b=1&c=<d>","name":"Zoë 東京 🚀"}',
    );
  });

  test('numbers come out as JSON.stringify writes them, whatever the body wrote', () => {
    const payload = JSON.parse(
      '{"a":1.0,"b":1e2,"c":-0,"d":0.1,"e":12345678901234567890,"f":1E-7}',
    ) as Record<string, unknown>;
    expect(canonicalString(payload, 'compact')).toBe(
      '{"a":1,"b":100,"c":0,"d":0.1,"e":12345678901234567000,"f":1e-7}',
    );
  });

  test('a lone surrogate is escaped as well-formed JSON.stringify does', () => {
    expect(canonicalString({ r: '\ud800' }, 'compact')).toBe('{"r":"\\ud800"}');
  });

  test('members without a JSON form are left out, as JSON.stringify leaves them out', () => {
    expect(unsignedPayloadJson({ a: undefined, b: () => 1, c: 1 })).toBe('{"c":1}');
    expect(unsignedPayloadJson({})).toBe('{}');
  });

  test('a function-valued toJSON member is left out, never called; an inherited one is ignored', () => {
    const toJSON = jest.fn(() => 'replaced');
    expect(unsignedPayloadJson({ a: 1, toJSON, signature: 'x', b: 'c' })).toBe('{"a":1,"b":"c"}');
    expect(toJSON).not.toHaveBeenCalled();
    const inherited = Object.assign(Object.create({ toJSON }), { a: 1, sequence_number: 2 });
    expect(unsignedPayloadJson(inherited)).toBe('{"a":1}');
    expect(toJSON).not.toHaveBeenCalled();
    expect(unsignedPayloadJson({ toJSON: 'kept', a: 1 })).toBe('{"toJSON":"kept","a":1}');
  });

  test('a __proto__ key from JSON.parse is an ordinary signed member', () => {
    const payload = JSON.parse('{"__proto__":{"x":1},"a":2}') as Record<string, unknown>;
    expect(canonicalString(payload, 'compact')).toBe('{"__proto__":{"x":1},"a":2}');
  });

  test('property: compact is JSON.stringify of the payload without the unsigned fields', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (dict) => {
        const payload = JSON.parse(JSON.stringify(dict)) as Record<string, unknown>;
        const rest = Object.fromEntries(
          Object.entries(payload).filter(([key]) => !UNSIGNED_FIELDS.has(key)),
        );
        const compact = canonicalString(payload, 'compact');
        expect(compact).toBe(JSON.stringify(rest));
        expect(canonicalString(payload, 'strip-whitespace')).toBe(compact.replace(/\s/g, ''));
      }),
      { numRuns: 200 },
    );
  });
});

describe('compileCanonicalizations()', () => {
  const payload = { reference_id: 'a b', signature: 'x' };

  test("defaults to 'strip-whitespace'", () => {
    const [only, ...rest] = compileCanonicalizations();
    expect(rest).toHaveLength(0);
    expect(only!.name).toBe('strip-whitespace');
    expect(only!.bytes(payload).toString('utf8')).toBe('{"reference_id":"ab"}');
  });

  test('keeps a list in the order given', () => {
    expect(compileCanonicalizations(['compact', 'strip-whitespace']).map((c) => c.name)).toEqual([
      'compact',
      'strip-whitespace',
    ]);
  });

  test('a function may return a string (UTF-8 encoded) or bytes', () => {
    const [asString] = compileCanonicalizations((p) => `é${Object.keys(p).length}`);
    expect(asString!.name).toBe('custom');
    expect(asString!.bytes(payload)).toEqual(Buffer.from('é2', 'utf8'));
    const [asBytes] = compileCanonicalizations(() => new Uint8Array([1, 2, 3]));
    expect(asBytes!.bytes(payload)).toEqual(Buffer.from([1, 2, 3]));
  });

  test('non-ASCII is encoded as UTF-8 bytes', () => {
    const [compact] = compileCanonicalizations('compact');
    expect(compact!.bytes({ r: 'ë' })).toEqual(Buffer.from('{"r":"\xc3\xab"}', 'latin1'));
  });

  test.each([
    ['an empty list', []],
    ['an unknown name', 'canonical'],
    ['a number', 42],
    ['an unknown name in a list', ['compact', 'pretty']],
  ])('throws a TypeError for %s', (_what, option) => {
    expect(() => compileCanonicalizations(option as never, 'verifySignature')).toThrow(TypeError);
    expect(() => compileCanonicalizations(option as never, 'verifySignature')).toThrow(
      /^verifySignature: /,
    );
  });
});
