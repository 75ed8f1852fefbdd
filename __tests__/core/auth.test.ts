import {
  authChallenge,
  CREDENTIAL_COMPARE_WIDTH,
  credentialSet,
  exactHeaderMatcher,
  findCredential,
  readCredentials,
} from '../../lib/core/auth';
import { AuthInvalidError, AuthMissingError } from '../../lib/core/errors';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('readCredentials', () => {
  test('decodes Basic credentials to the auth_token bytes', () => {
    const header = 'Basic ' + Buffer.from('user:pässword').toString('base64');
    expect(readCredentials(header, 'basic', 'r').toString('utf8')).toBe('user:pässword');
  });

  test('tolerates extra spaces between scheme and value', () => {
    expect(readCredentials('Bearer    tok  ', 'bearer', 'r').toString()).toBe('tok');
  });

  test.each([
    [undefined, 'AUTH_MISSING'],
    ['', 'AUTH_MISSING'],
    ['Digest abc', 'AUTH_MISSING'],
    ['Basicabc', 'AUTH_MISSING'],
    ['Basic', 'AUTH_INVALID'],
    ['Basic    ', 'AUTH_INVALID'],
    ['Basic ab=c', 'AUTH_INVALID'],
    ['Basic abc', 'AUTH_INVALID'],
    ['Basic ' + Buffer.from('nocolon').toString('base64'), 'AUTH_INVALID'],
    ['Basic ' + 'QUFB'.repeat(3000), 'AUTH_INVALID'],
  ])('%j for basic is %s', (header, code) => {
    expect(codeOf(() => readCredentials(header, 'basic', 'r'))).toBe(code);
  });

  test('errors carry the challenge and never the credentials', () => {
    try {
      readCredentials('Basic ' + Buffer.from('secretvalue').toString('base64'), 'basic', 'realm');
    } catch (error) {
      expect(error).toBeInstanceOf(AuthInvalidError);
      expect((error as AuthInvalidError).headers).toEqual({
        'WWW-Authenticate': 'Basic realm="realm", charset="UTF-8"',
      });
      expect((error as Error).message).not.toContain('secret');
    }
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

  test('padding never makes a different credential match', () => {
    // Zero bytes after, a prefix, and the empty credential all differ from 'a:1'.
    expect(findCredential(Buffer.from('a:1\0'), candidates)).toBe(-1);
    expect(findCredential(Buffer.from('a:'), candidates)).toBe(-1);
    expect(findCredential(Buffer.alloc(0), candidates)).toBe(-1);
    const withZero = credentialSet(['a:1\0']);
    expect(findCredential(Buffer.from('a:1'), withZero)).toBe(-1);
    expect(findCredential(Buffer.from('a:1\0'), withZero)).toBe(0);
  });

  test('an unusable entry keeps its index and matches nothing, not even the empty credential', () => {
    const set = credentialSet([undefined, 'b:2']);
    expect(findCredential(Buffer.alloc(0), set)).toBe(-1);
    expect(findCredential(Buffer.from('b:2'), set)).toBe(1);
  });

  test('every token is compared over one width, whatever its length', () => {
    expect(credentialSet(['a:1']).width).toBe(CREDENTIAL_COMPARE_WIDTH);
    expect(credentialSet(['x'.repeat(CREDENTIAL_COMPARE_WIDTH)]).width).toBe(
      CREDENTIAL_COMPARE_WIDTH,
    );
    const long = 'u:' + 'x'.repeat(CREDENTIAL_COMPARE_WIDTH);
    const set = credentialSet(['a:1', long]);
    expect(set.width).toBe(2 * CREDENTIAL_COMPARE_WIDTH);
    expect(set.padded.every((p) => p.length === set.width)).toBe(true);
    expect(findCredential(Buffer.from(long), set)).toBe(1);
    expect(findCredential(Buffer.from('a:1'), set)).toBe(0);
    // Longer than the width: no token can be that long, refused without comparing.
    expect(findCredential(Buffer.alloc(set.width + 1, 0x78), set)).toBe(-1);
  });

  test('a credential left in the shared scratch buffer never leaks into the next comparison', () => {
    const set = credentialSet(['abc:def']);
    expect(findCredential(Buffer.from('abc:def'), set)).toBe(0);
    expect(findCredential(Buffer.from('abc'), set)).toBe(-1);
    expect(findCredential(Buffer.from('abc:d'), set)).toBe(-1);
  });
});

test('authChallenge follows RFC 7617 and RFC 6750', () => {
  expect(authChallenge('basic', 'r')).toBe('Basic realm="r", charset="UTF-8"');
  expect(authChallenge('bearer', 'r')).toBe('Bearer realm="r"');
  expect(authChallenge('bearer', 'r', true)).toBe('Bearer realm="r", error="invalid_token"');
});

describe('exactHeaderMatcher', () => {
  const basic = (token: string) => 'Basic ' + Buffer.from(token, 'utf8').toString('base64');

  test('matches the header a sender writes for each token, first match first', () => {
    const match = exactHeaderMatcher('basic', ['a:1', 'b:2', 'a:1']);
    expect(match(basic('a:1'))).toBe(0);
    expect(match(basic('b:2'))).toBe(1);
    expect(match(basic('c:3'))).toBe(-1);
    const bearer = exactHeaderMatcher('bearer', ['tok-1', 'tok-2']);
    expect(bearer('Bearer tok-2')).toBe(1);
    expect(bearer('Bearer tok-')).toBe(-1);
    expect(bearer('Bearer tok-22')).toBe(-1);
  });

  test('leaves every other way of writing a valid header to the general path', () => {
    const match = exactHeaderMatcher('basic', ['a:1']);
    // Another case of the scheme, extra spaces: valid, but not the exact form.
    expect(match(basic('a:1').replace('Basic', 'basic'))).toBe(-1);
    expect(match(basic('a:1').replace(' ', '   '))).toBe(-1);
    expect(match(basic('a:1') + ' ')).toBe(-1);
    expect(readCredentials(basic('a:1').replace('Basic', 'basic'), 'basic', 'r')).toEqual(
      Buffer.from('a:1'),
    );
  });

  test('non-ASCII tokens are compared as their UTF-8 bytes, as a header carries them', () => {
    const bearer = exactHeaderMatcher('bearer', ['jeton-é']);
    expect(bearer('Bearer ' + Buffer.from('jeton-é', 'utf8').toString('latin1'))).toBe(0);
    expect(bearer('Bearer jeton-é')).toBe(-1);
  });

  test('headers longer than the width never match', () => {
    const long = 'u:' + 'x'.repeat(400);
    const match = exactHeaderMatcher('basic', [long]);
    expect(match(basic(long))).toBe(0);
    expect(match(basic(long) + 'A'.repeat(2000))).toBe(-1);
  });
});
