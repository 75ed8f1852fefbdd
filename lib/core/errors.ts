/**
 * The stable error codes of this package. Tests and applications should branch on
 * `error.code`, never on the wording of `error.message`.
 */
export type NotificationErrorCode =
  | 'BODY_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'BODY_UNREADABLE'
  | 'RAW_BODY_UNAVAILABLE'
  | 'AUTH_MISSING'
  | 'AUTH_INVALID'
  | 'PAYLOAD_MALFORMED'
  | 'PAYLOAD_INVALID'
  | 'SIGNATURE_MISSING'
  | 'SIGNATURE_INVALID'
  | 'NOTIFICATION_EXPIRED'
  | 'NOTIFICATION_IN_PROGRESS'
  | 'STORE_UNAVAILABLE'
  | 'SESSION_FETCH_FAILED'
  | 'SESSION_NOT_FOUND'
  | 'SESSION_FETCH_REJECTED';

/**
 * The root of every error this package passes to `next(err)`.
 *
 * It carries what Express's default error handler (and most custom ones) read: `status`
 * and `statusCode` for the response status, `headers` for headers such as
 * `WWW-Authenticate`, and `expose` (true for 4xx: the message is safe to show the client;
 * messages never contain a secret, a token or a signature).
 *
 * A 4xx error (a refusal of what the client sent) carries no stack trace: it would only show
 * Express's router, and capturing it is most of what a refusal costs under a flood of bad
 * requests. A 5xx error (a setup mistake, a store that is down) keeps its stack.
 *
 * @example
 * app.use((err, req, res, next) => {
 *   if (err instanceof NotificationError) {
 *     return res.status(err.status).set(err.headers ?? {}).json({ code: err.code });
 *   }
 *   next(err);
 * });
 */
export class NotificationError extends Error {
  /** Stable machine-readable code, e.g. `'SIGNATURE_INVALID'`. */
  readonly code: NotificationErrorCode;
  /** HTTP status to answer with. */
  readonly status: number;
  /** The same as `status`, for handlers that read `statusCode` (http-errors convention). */
  readonly statusCode: number;
  /** Whether the message may be sent to the client: true for 4xx, false for 5xx. */
  readonly expose: boolean;
  /** Response headers the error needs, e.g. `WWW-Authenticate` on a 401. */
  readonly headers?: Readonly<Record<string, string>>;

  constructor(
    code: NotificationErrorCode,
    status: number,
    message: string,
    options: { cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    const limit = Error.stackTraceLimit;
    // A hardened realm (a frozen Error) keeps its stacks.
    const withoutStack = status < 500 && !Object.isFrozen(Error);
    if (withoutStack) Error.stackTraceLimit = 0;
    try {
      super(message, options.cause === undefined ? undefined : { cause: options.cause });
    } finally {
      if (withoutStack) Error.stackTraceLimit = limit;
    }
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.statusCode = status;
    this.expose = status < 500;
    if (options.headers) this.headers = Object.freeze({ ...options.headers });
  }
}

/** 413 `BODY_TOO_LARGE`: the body is over the configured `limit`. */
export class BodyTooLargeError extends NotificationError {
  /** The limit, in bytes, that the body exceeded. */
  readonly limit: number;
  constructor(limit: number, options: { cause?: unknown } = {}) {
    super('BODY_TOO_LARGE', 413, `Request body is larger than the limit of ${limit} bytes`, {
      ...options,
      // The rest of an oversize body is not worth reading on this connection.
      headers: { Connection: 'close' },
    });
    this.limit = limit;
  }
}

/** 415 `UNSUPPORTED_MEDIA_TYPE`: wrong `Content-Type`, charset or `Content-Encoding`. */
export class UnsupportedMediaTypeError extends NotificationError {
  constructor(message: string) {
    super('UNSUPPORTED_MEDIA_TYPE', 415, message);
  }
}

/** 400 `BODY_UNREADABLE`: the body was empty, aborted, of the wrong length, or not UTF-8. */
export class BodyUnreadableError extends NotificationError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('BODY_UNREADABLE', 400, message, options);
  }
}

/**
 * 500 `RAW_BODY_UNAVAILABLE`: a setup error. Another body parser consumed the request
 * stream before `rawBody()` and kept no copy of the bytes.
 */
export class RawBodyUnavailableError extends NotificationError {
  constructor(message: string) {
    super('RAW_BODY_UNAVAILABLE', 500, message);
  }
}

/** 401 `AUTH_MISSING`: no `Authorization` header of the expected scheme. */
export class AuthMissingError extends NotificationError {
  constructor(message: string, wwwAuthenticate: string) {
    super('AUTH_MISSING', 401, message, { headers: { 'WWW-Authenticate': wwwAuthenticate } });
  }
}

/** 401 `AUTH_INVALID`: credentials present but malformed, wrong, or expired. */
export class AuthInvalidError extends NotificationError {
  constructor(message: string, wwwAuthenticate: string, options: { cause?: unknown } = {}) {
    super('AUTH_INVALID', 401, message, {
      ...options,
      headers: { 'WWW-Authenticate': wwwAuthenticate },
    });
  }
}

/** 400 `PAYLOAD_MALFORMED`: the body is not JSON. */
export class PayloadMalformedError extends NotificationError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('PAYLOAD_MALFORMED', 400, message, options);
  }
}

/** 400 `PAYLOAD_INVALID`: JSON of the wrong shape; `field` names the offending field. */
export class PayloadInvalidError extends NotificationError {
  /** The field that is missing or of the wrong type (`''` when the whole payload is). */
  readonly field: string;
  constructor(field: string, message: string) {
    super('PAYLOAD_INVALID', 400, message);
    this.field = field;
  }
}

/** 401 `SIGNATURE_MISSING`: no `signature` field, or an empty one. */
export class SignatureMissingError extends NotificationError {
  constructor() {
    super('SIGNATURE_MISSING', 401, 'Notification has no signature');
  }
}

/** 401 `SIGNATURE_INVALID`: a signature that does not verify against any configured key. */
export class SignatureInvalidError extends NotificationError {
  constructor(message = 'Notification signature does not verify') {
    super('SIGNATURE_INVALID', 401, message);
  }
}

/** 401 `NOTIFICATION_EXPIRED`: `timestamp` outside the `maxAgeSeconds` window. */
export class NotificationExpiredError extends NotificationError {
  constructor(message: string) {
    super('NOTIFICATION_EXPIRED', 401, message);
  }
}

/** 409 `NOTIFICATION_IN_PROGRESS`: a duplicate that arrived while the first is still handled. */
export class NotificationInProgressError extends NotificationError {
  constructor(retryAfterSeconds: number) {
    super('NOTIFICATION_IN_PROGRESS', 409, 'This notification is already being handled', {
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
  }
}

/**
 * 503 `STORE_UNAVAILABLE`: the de-duplication store or the inbox could not be reached (or did
 * not answer in time). `Retry-After` tells Yoti when to deliver again (default 5 seconds).
 */
export class StoreUnavailableError extends NotificationError {
  constructor(options: { cause?: unknown; message?: string; retryAfterSeconds?: number } = {}) {
    super('STORE_UNAVAILABLE', 503, options.message ?? 'De-duplication store is unavailable', {
      cause: options.cause,
      headers: { 'Retry-After': String(options.retryAfterSeconds ?? 5) },
    });
  }
}
