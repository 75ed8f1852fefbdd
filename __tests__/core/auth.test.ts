import {
  assertStaticToken,
  assertTokenString,
  authChallenge,
  CREDENTIAL_COMPARE_WIDTH,
  credentialSet,
  findCredential,
  readCredentials,
  tokenProblem,
} from '../../lib/core/auth';
import { AuthInvalidError, AuthMissingError } from '../../lib/core/errors';
import { codeOf, thrown } from '../support/errors';

/** A header value as Node.js gives it: one Latin-1 character per byte received. */
const onTheWire = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

describe('readCredentials', () => {
  test('decodes Basic credentials to the auth_token bytes', () => {
    const header = 'Basic ' + Buffer.from('user:pässword').toString('base64');
    expect(readCredentials(header, 'basic', 'r').toString('utf8')).toBe('user:pässword');
  });

  test('tolerates extra spaces between scheme and value, and spaces or tabs after it', () => {
    expect(readCredentials('Bearer    tok  ', 'bearer', 'r').toString()).toBe('tok');
    expect(readCredentials('Bearer \t tok\t', 'bearer', 'r').toString()).toBe('tok');
  });

  test('a Bearer token is the bytes that arrived, whatever their UTF-8 content', () => {
    for (const token of ['tök€n-✓', 'voilà', '😀', 'x\u00a0y']) {
      for (const header of [`Bearer ${token}`, `bearer  ${token}`, `BEARER ${token} `]) {
        expect(readCredentials(onTheWire(header), 'bearer', 'r')).toEqual(
          Buffer.from(token, 'utf8'),
        );
      }
    }
  });

  test("only spaces and tabs are trimmed: 0xA0, the last byte of 'à', stays", () => {
    // `String.prototype.trim` would drop it: the token would never match.
    expect(readCredentials(onTheWire('Bearer voilà'), 'bearer', 'r').at(-1)).toBe(0xa0);
    expect(readCredentials('Bearer tok\u00a0', 'bearer', 'r')).toEqual(
      Buffer.from('tok\xa0', 'latin1'),
    );
  });

  test('spaces inside a Bearer value are part of the token', () => {
    expect(readCredentials('Bearer x   y ', 'bearer', 'r').toString()).toBe('x   y');
  });

  test.each([
    [undefined, 'AUTH_MISSING'],
    ['', 'AUTH_MISSING'],
    ['Digest abc', 'AUTH_MISSING'],
    ['Basicabc', 'AUTH_MISSING'],
    ['Basic', 'AUTH_INVALID'],
    ['Basic    ', 'AUTH_INVALID'],
    ['Basic \t', 'AUTH_INVALID'],
    ['Basic ab=c', 'AUTH_INVALID'],
    ['Basic abc', 'AUTH_INVALID'],
    ['Basic ' + Buffer.from('nocolon').toString('base64'), 'AUTH_INVALID'],
    ['Basic ' + 'QUFB'.repeat(3000), 'AUTH_INVALID'],
  ])('%j for basic is %s', (header, code) => {
    expect(codeOf(() => readCredentials(header, 'basic', 'r'))).toBe(code);
  });

  test('errors carry the challenge and never the credentials', () => {
    const error = thrown(() =>
      readCredentials('Basic ' + Buffer.from('secretvalue').toString('base64'), 'basic', 'realm'),
    );
    expect(error).toBeInstanceOf(AuthInvalidError);
    expect(error.headers).toEqual({
      'WWW-Authenticate': 'Basic realm="realm", charset="UTF-8"',
    });
    expect(error.message).not.toContain('secret');
    expect(() => readCredentials(undefined, 'bearer', 'x')).toThrow(AuthMissingError);
  });
});

describe('findCredential', () => {
  const candidates = credentialSet(['a:1', 'b:2', 'a:1']);

  test('returns the first matching index, comparing every candidate', () => {
    expect(findCredential(Buffer.from('a:1'), candidates)).toBe(0);
    expect(findCredential(Buffer.from('b:2'), candidates)).toBe(1);
    expect(findCredential(Buffer.from('c:3'), candidates)).toBe(-1);
    expect(findCredential(Buffer.from('a:1'), credentialSet([]))).toBe(-1);
  });

  test('only the same bytes match: no prefix, no suffix, no zero padding', () => {
    expect(findCredential(Buffer.from('a:1\0'), candidates)).toBe(-1);
    expect(findCredential(Buffer.from('a:'), candidates)).toBe(-1);
    expect(findCredential(Buffer.alloc(0), candidates)).toBe(-1);
    const withZero = credentialSet(['a:1\0']);
    expect(findCredential(Buffer.from('a:1'), withZero)).toBe(-1);
    expect(findCredential(Buffer.from('a:1\0'), withZero)).toBe(0);
  });

  test('a string token is its UTF-8 bytes; bytes are taken as they are', () => {
    const set = credentialSet(['tök€n-✓', Buffer.from([0xff, 0x00])]);
    expect(findCredential(Buffer.from('tök€n-✓', 'utf8'), set)).toBe(0);
    expect(findCredential(Buffer.from('tök€n-✓', 'latin1'), set)).toBe(-1);
    expect(findCredential(Buffer.from([0xff, 0x00]), set)).toBe(1);
  });

  test('an unusable entry keeps its index and matches nothing, not even the empty credential', () => {
    const set = credentialSet([undefined, 'b:2']);
    expect(findCredential(Buffer.alloc(0), set)).toBe(-1);
    expect(findCredential(Buffer.from('b:2'), set)).toBe(1);
  });

  test('tokens of any length compare, long or short', () => {
    const long = 'u:' + 'x'.repeat(5000);
    const set = credentialSet(['a:1', long]);
    expect(findCredential(Buffer.from(long), set)).toBe(1);
    expect(findCredential(Buffer.from(long + 'x'), set)).toBe(-1);
    expect(findCredential(Buffer.from('a:1'), set)).toBe(0);
  });

  test('tokens are padded to a multiple of CREDENTIAL_COMPARE_WIDTH; a longer credential matches nothing', () => {
    expect(credentialSet(['a:1']).width).toBe(CREDENTIAL_COMPARE_WIDTH);
    expect(credentialSet(['a:' + 'x'.repeat(CREDENTIAL_COMPARE_WIDTH)]).width).toBe(
      2 * CREDENTIAL_COMPARE_WIDTH,
    );
    const set = credentialSet(['a:1']);
    const longer = Buffer.concat([Buffer.from('a:1'), Buffer.alloc(CREDENTIAL_COMPARE_WIDTH)]);
    expect(findCredential(longer, set)).toBe(-1);
    // The scratch copy of a longer credential left nothing behind for the next comparison.
    expect(findCredential(Buffer.from('a:1'), set)).toBe(0);
    expect(findCredential(Buffer.from('a:'), set)).toBe(-1);
  });
});

test('authChallenge follows RFC 7617 and RFC 6750', () => {
  expect(authChallenge('basic', 'r')).toBe('Basic realm="r", charset="UTF-8"');
  expect(authChallenge('bearer', 'r')).toBe('Bearer realm="r"');
  expect(authChallenge('bearer', 'r', true)).toBe('Bearer realm="r", error="invalid_token"');
});

describe('tokenProblem', () => {
  test.each([
    ['zq9\n', /ends with a newline \(read from a file.*\): trim it/],
    ['zq9\r\n', /ends with a newline/],
    ['zq9 ', /ends with whitespace: trim it/],
    ['zq9\u00a0', /ends with whitespace/],
    [' zq9', /starts with whitespace: trim it/],
    ['\ufeffzq9', /starts with whitespace/],
    ['\tzq9', /starts with whitespace/],
    ['zq\n9', /control character \(U\+000A at index 2\)/],
    ['zq\t9', /control character \(U\+0009 at index 2\)/],
    ['zq9\x7f!', /control character \(U\+007F at index 3\)/],
    ['z\0q9', /control character \(U\+0000 at index 1\)/],
  ])('%j: %s', (token, hint) => {
    const problem = tokenProblem(token);
    expect(problem).toMatch(hint);
    // The hint never quotes the token.
    expect(problem).not.toContain('zq');
  });

  test.each(['tok', 'tök€n-✓', 'user:pass word', 'a b', 'eyJ.x.y'])('%j can be sent', (token) => {
    expect(tokenProblem(token)).toBeUndefined();
  });
});

describe('assertStaticToken', () => {
  test.each([
    ['an unknown scheme', 'digest', 'a:b', /scheme must be 'basic' or 'bearer'/],
    ['an empty token', 'bearer', '', /non-empty string/],
    ['a number', 'bearer', 42, /non-empty string/],
    ['a Promise', 'bearer', Promise.resolve('t'), /did you forget await\?/],
    ['a Bearer token with a newline', 'bearer', 's3cret\n', /ends with a newline/],
    ['a Basic token with a newline', 'basic', 'user:s3cret\n', /ends with a newline/],
    ['a Basic token with a leading space', 'basic', ' user:s3cret', /starts with whitespace/],
    ['a control character', 'bearer', 's3\x01cret', /control character/],
    ['a Basic token without a colon', 'basic', 's3cret', /no colon/],
  ])(
    '%s is a TypeError naming the caller, never quoting the token',
    (_what, scheme, token, hint) => {
      const run = () => assertStaticToken(scheme, token, 'someCaller');
      expect(run).toThrow(TypeError);
      expect(run).toThrow(/^someCaller: /);
      expect(run).toThrow(hint);
      expect(run).not.toThrow(/s3cret/);
    },
  );

  test('a usable token passes', () => {
    expect(() => assertStaticToken('basic', 'user:pass word', 'x')).not.toThrow();
    expect(() => assertStaticToken('bearer', 'tök€n-✓', 'x')).not.toThrow();
  });

  test('assertTokenString tells a forgotten await from a wrong type', () => {
    const pending = { then: () => undefined };
    expect(() => assertTokenString(pending, 'w')).toThrow(/did you forget await\?/);
    expect(() => assertTokenString(null, 'w')).toThrow(/non-empty string/);
  });
});
