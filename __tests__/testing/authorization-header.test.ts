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
