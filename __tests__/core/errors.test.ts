import {
  AuthInvalidError,
  AuthMissingError,
  BodyTooLargeError,
  BodyUnreadableError,
  NotificationError,
  NotificationExpiredError,
  NotificationInProgressError,
  PayloadInvalidError,
  PayloadMalformedError,
  RawBodyUnavailableError,
  SignatureInvalidError,
  SignatureMissingError,
  StoreUnavailableError,
  UnsupportedMediaTypeError,
} from '../../lib';

describe('the error tree', () => {
  test.each([
    [new BodyTooLargeError(10), 'BODY_TOO_LARGE', 413],
    [new UnsupportedMediaTypeError('x'), 'UNSUPPORTED_MEDIA_TYPE', 415],
    [new BodyUnreadableError('x'), 'BODY_UNREADABLE', 400],
    [new RawBodyUnavailableError('x'), 'RAW_BODY_UNAVAILABLE', 500],
    [new AuthMissingError('x', 'Basic realm="r"'), 'AUTH_MISSING', 401],
    [new AuthInvalidError('x', 'Basic realm="r"'), 'AUTH_INVALID', 401],
    [new PayloadMalformedError('x'), 'PAYLOAD_MALFORMED', 400],
    [new PayloadInvalidError('f', 'x'), 'PAYLOAD_INVALID', 400],
    [new SignatureMissingError(), 'SIGNATURE_MISSING', 401],
    [new SignatureInvalidError(), 'SIGNATURE_INVALID', 401],
    [new NotificationExpiredError('x'), 'NOTIFICATION_EXPIRED', 401],
    [new NotificationInProgressError(3), 'NOTIFICATION_IN_PROGRESS', 409],
    [new StoreUnavailableError(), 'STORE_UNAVAILABLE', 503],
  ])('%s has code %s and status %i', (error, code, status) => {
    expect(error).toBeInstanceOf(NotificationError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
    expect(error.statusCode).toBe(status);
    expect(error.expose).toBe(status < 500);
    expect(error.name).toBe(error.constructor.name);
  });

  test('401s carry their challenge, 409 and 503 a Retry-After, 413 closes the connection', () => {
    expect(new AuthMissingError('x', 'Bearer realm="r"').headers).toEqual({
      'WWW-Authenticate': 'Bearer realm="r"',
    });
    expect(new NotificationInProgressError(7).headers).toEqual({ 'Retry-After': '7' });
    expect(new StoreUnavailableError().headers?.['Retry-After']).toBeDefined();
    expect(new BodyTooLargeError(1).headers).toEqual({ Connection: 'close' });
    expect(Object.isFrozen(new AuthMissingError('x', 'y').headers)).toBe(true);
  });

  test('keeps a cause and a field', () => {
    const cause = new Error('inner');
    expect(new BodyUnreadableError('x', { cause }).cause).toBe(cause);
    expect(new PayloadInvalidError('task_id', 'x').field).toBe('task_id');
    expect(new BodyTooLargeError(99).limit).toBe(99);
  });
});

describe('stack traces', () => {
  const frames = (error: Error) => (error.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l));

  test('a 4xx refusal carries none (the cost of a refusal), a 5xx keeps its own', () => {
    const limit = Error.stackTraceLimit;
    expect(frames(new AuthInvalidError('Credentials are not valid', 'Basic'))).toEqual([]);
    expect(frames(new PayloadInvalidError('session_id', 'session_id must be a string'))).toEqual(
      [],
    );
    expect(frames(new StoreUnavailableError()).length).toBeGreaterThan(0);
    expect(frames(new RawBodyUnavailableError('mount rawBody() first')).length).toBeGreaterThan(0);
    // The global setting is left as it was, for every other error of the process.
    expect(Error.stackTraceLimit).toBe(limit);
    expect(frames(new Error('app')).length).toBeGreaterThan(0);
  });

  test('a 4xx still names itself and its message in its stack', () => {
    const error = new AuthInvalidError('Credentials are not valid', 'Basic');
    expect(error.stack).toMatch(/^AuthInvalidError: Credentials are not valid$/);
    expect(error).toBeInstanceOf(Error);
  });
});
