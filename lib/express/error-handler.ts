import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express';
import { NotificationError } from '../core/errors';

/** What {@link notificationErrorHandler} logs for one refused request: no secret, no body. */
export interface RejectionRecord {
  readonly code: string;
  readonly status: number;
  readonly method: string;
  /** The request path, without its query string. */
  readonly path: string;
}

/** Options of {@link notificationErrorHandler}. */
export interface NotificationErrorHandlerOptions {
  /**
   * Called once per refused request. Default: one line on `console.warn`, e.g.
   * `yoti notification refused: 401 AUTH_INVALID POST /yoti/idv`. Pass `() => {}` to log
   * nothing, or your logger.
   */
  log?: (rejection: RejectionRecord) => void;
}

const defaultLog = (r: RejectionRecord): void => {
  console.warn(`yoti notification refused: ${r.status} ${r.code} ${r.method} ${r.path}`);
};

/**
 * An Express error handler for the end of a notification chain or of the app. It answers a
 * `NotificationError` with its status, its headers (`WWW-Authenticate`, `Retry-After`) and
 * `{ code, message }` JSON (`message` only when `expose`, i.e. for 4xx), logs one line per
 * refusal through `log` (no stack trace, no token, no body), and passes any other error to
 * `next(err)`. Without it, Express's default handler answers an HTML page (with the error
 * in it when `NODE_ENV` is unset) and writes every refusal to stderr.
 *
 * @example
 * app.use('/yoti/idv', idvNotifications({ auth, handlers }), notificationErrorHandler());
 */
export function notificationErrorHandler(
  options: NotificationErrorHandlerOptions = {},
): ErrorRequestHandler {
  const log = options.log ?? defaultLog;
  if (typeof log !== 'function') {
    throw new TypeError('notificationErrorHandler: log must be a function');
  }
  return function notificationErrorHandler(
    err: unknown,
    req: Request,
    res: Response,
    next: NextFunction,
  ): void {
    if (!(err instanceof NotificationError) || res.headersSent) return next(err);
    const path = (req.originalUrl ?? req.url).split('?', 1)[0]!;
    log({ code: err.code, status: err.status, method: req.method, path });
    res.status(err.status);
    if (err.headers !== undefined) res.set(err.headers);
    res.json(err.expose ? { code: err.code, message: err.message } : { code: err.code });
  };
}
