import { readCredentials } from '../../lib/core/auth';
import { authorizationHeader } from '../../lib/testing';

describe('authorizationHeader', () => {
  test('Basic: base64 of the auth_token, as in Yoti documentation', () => {
    expect(authorizationHeader({ scheme: 'basic', token: 'username:password' })).toBe(
      'Basic dXNlcm5hbWU6cGFzc3dvcmQ=',
    );
  });

  test('Basic: the token is encoded as UTF-8, and the verifier reads it back', () => {
    const header = authorizationHeader({ scheme: 'basic', token: 'jörg:pä ss' });
    expect(readCredentials(header, 'basic', 'test').toString('utf8')).toBe('jörg:pä ss');
  });

  test('Bearer: the token unchanged', () => {
    expect(authorizationHeader({ scheme: 'bearer', token: 'abc.def-ghi' })).toBe(
      'Bearer abc.def-ghi',
    );
  });

  test('Bearer: a non-ASCII token as its UTF-8 bytes, one Latin-1 character per byte', () => {
    const header = authorizationHeader({ scheme: 'bearer', token: 'tök€n-✓' });
    expect(Buffer.from(header, 'latin1')).toEqual(Buffer.from('Bearer tök€n-✓', 'utf8'));
    expect(readCredentials(header, 'bearer', 'test').toString('utf8')).toBe('tök€n-✓');
  });

  test.each([
    ['a trailing newline', 's3cret\n', /ends with a newline.*trim it/],
    ['a trailing space', 's3cret ', /ends with whitespace/],
    ['a newline inside', 's3\ncret', /control character/],
  ])('a Bearer token with %s is a TypeError with a hint', (_what, token, hint) => {
    const build = () => authorizationHeader({ scheme: 'bearer', token });
    expect(build).toThrow(TypeError);
    expect(build).toThrow(/^authorizationHeader: /);
    expect(build).toThrow(hint);
    expect(build).not.toThrow(/s3cret/);
  });

  test('a Basic token with a newline is encoded, so that its refusal can be tested', () => {
    const header = authorizationHeader({ scheme: 'basic', token: 'user:pass\n' });
    expect(readCredentials(header, 'basic', 'test').toString()).toBe('user:pass\n');
  });

  test('a Promise for a token says: did you forget await?', () => {
    expect(() =>
      authorizationHeader({ scheme: 'bearer', token: Promise.resolve('t') as never }),
    ).toThrow(/did you forget await\?/);
  });

  test('a Basic token without a colon is encoded anyway, so malformed credentials can be tested', () => {
    const header = authorizationHeader({ scheme: 'basic', token: 'nocolon' });
    expect(() => readCredentials(header, 'basic', 'test')).toThrow(
      expect.objectContaining({ code: 'AUTH_INVALID' }),
    );
  });

  test('an unknown scheme or an empty token is a TypeError', () => {
    expect(() => authorizationHeader({ scheme: 'digest' as never, token: 't' })).toThrow(TypeError);
    expect(() => authorizationHeader({ scheme: 'basic', token: '' })).toThrow(TypeError);
    expect(() => authorizationHeader({ scheme: 'bearer', token: 42 as never })).toThrow(TypeError);
    expect(() => authorizationHeader(null as never)).toThrow(TypeError);
  });
});
