import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import getRawBody from 'raw-body';
import type { NotificationError } from '../core/errors';
import {
  BodyTooLargeError,
  BodyUnreadableError,
  RawBodyUnavailableError,
  UnsupportedMediaTypeError,
} from '../core/errors';
import { trimSpacesAndTabs } from '../core/header-text';
import type { ContentType } from '../core/media-type';
import {
  compileTypeMatcher,
  DEFAULT_JSON_TYPES,
  isUtf8Charset,
  parseByteSize,
  parseContentType,
} from '../core/media-type';
import './request';

/** Options of {@link rawBody}. */
export interface RawBodyOptions {
  /** Largest body accepted: bytes, or a size such as `'64kb'`. Default 64 KiB. */
  limit?: number | string;
  /**
   * Accepted content types: a media type pattern or a list (`'application/*+json'`,
   * `'*\/*'`), or a function of the request. Default: `application/json` and
   * `application/*+json`. A charset, when given, must be UTF-8.
   */
  type?: string | readonly string[] | ((req: Request) => boolean);
}

/** Default `limit`: Yoti's notifications are a few hundred bytes. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

const CONSUMED_HINT =
  'The request body was read by another parser before rawBody(). Mount rawBody() first, ' +
  'or keep the bytes with express.json({ verify: keepRawBody }).';

/**
 * Reads the exact request bytes into `req.rawBody` (a `Buffer`), with a size limit, once.
 *
 * - Over `limit`: 413 `BODY_TOO_LARGE`, decided from `Content-Length` before reading when
 *   present, else by counting; the rest of the body is never buffered.
 * - Wrong `Content-Type`, a non-UTF-8 charset or any `Content-Encoding`: 415 `UNSUPPORTED_MEDIA_TYPE`.
 * - Empty, aborted (or the client gone before it was read), of the wrong length, or not
 *   UTF-8: 400 `BODY_UNREADABLE`.
 * - A `req.rawBody` Buffer set earlier (e.g. by {@link keepRawBody}) is reused as is.
 * - Stream already consumed by another parser that kept no bytes: 500 `RAW_BODY_UNAVAILABLE`,
 *   whose message says how to fix the setup; never a hang.
 *
 * @throws {TypeError} at setup for a bad `limit` or `type`.
 * @example
 * app.post('/yoti/idv', rawBody({ limit: '16kb' }), parseIdvNotification(), topicRouter());
 */
export function rawBody(options: RawBodyOptions = {}): RequestHandler {
  const limit =
    options.limit === undefined ? DEFAULT_BODY_LIMIT : parseByteSize(options.limit, 'rawBody');
  const accepts = compileAccepts(options.type ?? DEFAULT_JSON_TYPES);

  return function rawBodyMiddleware(req: Request, res: Response, next: NextFunction): void {
    if (Buffer.isBuffer(req.rawBody)) {
      const captured = req.rawBody;
      return next(refuseType(req, accepts) ?? refuseBytes(captured));
    }
    const refused = refuse(req, accepts);
    if (refused) return next(refused);

    readBody(req, limit, (error, body) => {
      if (error) return next(error);
      const unreadable = refuseBytes(body!);
      if (unreadable) return next(unreadable);
      req.rawBody = body;
      next();
    });
  };
}

function refuseBytes(body: Buffer): NotificationError | undefined {
  if (body.length === 0) return new BodyUnreadableError('Request body is empty');
  if (!isUtf8(body)) return new BodyUnreadableError('Request body is not valid UTF-8');
  return undefined;
}

/**
 * Whether a request's parsed content type is accepted: by the compiled patterns, or by the
 * caller's function of the request. The header is parsed once per request, by the caller.
 */
type Accepts = (type: ContentType | undefined, req: Request) => boolean;

function compileAccepts(patterns: NonNullable<RawBodyOptions['type']>): Accepts {
  if (typeof patterns === 'function') return (_type, req) => patterns(req);
  const matches = compileTypeMatcher(patterns, 'rawBody');
  return (type) => type !== undefined && matches(type.essence);
}

/** Everything that can be refused before reading a byte. */
function refuse(req: Request, accepts: Accepts): NotificationError | undefined {
  // A client that went away while an earlier layer waited: its stream is closed, which is not
  // another parser's doing.
  if (req.destroyed)
    return new BodyUnreadableError('The client went away before the body was read');
  if (isConsumed(req)) return new RawBodyUnavailableError(CONSUMED_HINT);
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && trimSpacesAndTabs(encoding).toLowerCase() !== 'identity') {
    return new UnsupportedMediaTypeError(
      'Content-Encoding is not supported; send the body uncompressed',
    );
  }
  const wrongType = refuseType(req, accepts);
  if (wrongType) return wrongType;
  if (
    req.headers['content-length'] === undefined &&
    req.headers['transfer-encoding'] === undefined
  ) {
    return new BodyUnreadableError('Request body is empty');
  }
  return undefined;
}

function refuseType(req: Request, accepts: Accepts): NotificationError | undefined {
  const type = parseContentType(req.headers['content-type']);
  if (!accepts(type, req)) {
    return new UnsupportedMediaTypeError('Content-Type must be JSON (application/json)');
  }
  const charset = type?.charset;
  if (charset !== undefined && !isUtf8Charset(charset)) {
    return new UnsupportedMediaTypeError('Content-Type charset must be UTF-8');
  }
  return undefined;
}

/**
 * Whether something already read the stream. Reading it again would wait for an `end`
 * event that already happened: the hang this check exists to prevent.
 */
function isConsumed(req: IncomingMessage): boolean {
  return req.readableDidRead || req.readableEnded;
}

/**
 * Reads a request's body into one Buffer with `raw-body` (as body-parser does), up to `limit`
 * bytes, and calls back once: with the bytes, or with the `NotificationError` that says why
 * not. `raw-body` runs the callback in the async context of the call, so `AsyncLocalStorage`
 * stores set by earlier middleware survive the wait for the body, and stops reading a body
 * it refused.
 */
function readBody(
  req: IncomingMessage,
  limit: number,
  callback: (error: NotificationError | undefined, body?: Buffer) => void,
): void {
  const declared = req.headers['content-length'];
  // Node's parser has already refused a Content-Length that is not a decimal number.
  const length = declared === undefined ? undefined : Number(declared);
  getRawBody(req, { length, limit }, (error, body) => {
    callback(error === null || error === undefined ? undefined : readError(error, limit), body);
  });
}

/** The package's error for one of `raw-body`'s, by its `type`. */
function readError(error: Error & { type?: string }, limit: number): NotificationError {
  switch (error.type) {
    case 'entity.too.large':
      return new BodyTooLargeError(limit);
    case 'request.aborted':
      return new BodyUnreadableError('Request was aborted before the body was complete');
    case 'request.size.invalid':
      return new BodyUnreadableError('Request body length does not match Content-Length');
    case 'stream.encoding.set':
    case 'stream.not.readable':
      return new RawBodyUnavailableError(CONSUMED_HINT);
    default:
      return new BodyUnreadableError('Request body could not be read', { cause: error });
  }
}

/**
 * A `verify` hook for Express's own JSON parser, for apps that parse JSON globally: it
 * keeps the exact bytes on `req.rawBody`, where `rawBody()` and the verifiers find them.
 *
 * @example
 * app.use(express.json({ verify: keepRawBody }));
 * app.post('/yoti/age', rawBody(), verifySignature(), stateRouter().on('COMPLETE', grant));
 */
export function keepRawBody(req: IncomingMessage, res: unknown, buffer: Buffer): void {
  (req as Request).rawBody = buffer;
}
