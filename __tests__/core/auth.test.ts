import {
  authChallenge,
  credentialDigest,
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
  const candidates = ['a:1', 'b:2', 'a:1'].map((t) => credentialDigest(t));

  test('returns the first matching index, comparing every candidate', () => {
    expect(findCredential(Buffer.from('a:1'), candidates)).toBe(0);
    expect(findCredential(Buffer.from('b:2'), candidates)).toBe(1);
    expect(findCredential(Buffer.from('c:3'), candidates)).toBe(-1);
    expect(findCredential(Buffer.from('a:1'), [])).toBe(-1);
  });

  test('digests have one length whatever the secret', () => {
    expect(credentialDigest('').length).toBe(32);
    expect(credentialDigest('x'.repeat(10000)).length).toBe(32);
    expect(credentialDigest('a')).not.toEqual(credentialDigest('b'));
  });
});

test('authChallenge follows RFC 7617 and RFC 6750', () => {
  expect(authChallenge('basic', 'r')).toBe('Basic realm="r", charset="UTF-8"');
  expect(authChallenge('bearer', 'r')).toBe('Bearer realm="r"');
  expect(authChallenge('bearer', 'r', true)).toBe('Bearer realm="r", error="invalid_token"');
});
