import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Dispatcher } from '../core/dispatcher';
import type { DispatcherNames } from '../core/dispatcher';
import type { Notification } from '../core/notification';
import type { NotificationHandler } from './request';

type AnyHandler = NotificationHandler<never>;

/**
 * The Express side of `topicRouter()` and `stateRouter()`: finds the handler for the
 * notification's key, runs it, answers 200 once it settles (unless it responded itself),
 * and passes a throw or rejection to `next(err)` (Express 4 does not catch rejections).
 */
export function createNotificationRouter<Router>(
  name: string,
  keyOf: (notification: Notification) => unknown,
  needs: string,
  names: DispatcherNames,
): Router {
  const dispatcher = new Dispatcher<AnyHandler>(name, names);
  const middleware: RequestHandler = {
    [name](req: Request, res: Response, next: NextFunction): void {
      const notification = req.notification;
      const key = notification === undefined ? undefined : keyOf(notification);
      if (typeof key !== 'string') {
        return next(
          new TypeError(
            `${name}() found no ${needs} on req.notification; mount it after the parser`,
          ),
        );
      }
      const handler = dispatcher.resolve(key);
      if (handler === undefined) return acknowledge(res);
      let result: unknown;
      try {
        result = (handler as NotificationHandler<Notification>)(
          req as Request & { notification: Notification },
          res,
        );
      } catch (error) {
        return next(asError(error));
      }
      if (typeof (result as { then?: unknown } | undefined)?.then !== 'function')
        return acknowledge(res);
      (result as PromiseLike<unknown>).then(
        () => acknowledge(res),
        (error: unknown) => next(asError(error)),
      );
    },
  }[name]!;
  const router = Object.assign(middleware, {
    on(keys: string | readonly string[], handler: AnyHandler) {
      dispatcher.on(keys, handler);
      return router;
    },
    onUnknown(handler: AnyHandler) {
      dispatcher.onUnknown(handler);
      return router;
    },
    handles(key: string) {
      return dispatcher.handles(key);
    },
  });
  Object.defineProperty(router, names.noun + 's', {
    enumerable: true,
    get: () => dispatcher.names,
  });
  return router as unknown as Router;
}

function acknowledge(res: Response): void {
  if (res.headersSent) return;
  res.statusCode = 200;
  res.end();
}

/**
 * What a handler threw, as something `next()` treats as an error: `next(undefined)` or
 * `next('route')` would make Express carry on to the next route, and a later 200 would tell
 * Yoti that a failed notification was received.
 */
function asError(thrown: unknown): unknown {
  return thrown instanceof Error
    ? thrown
    : new Error('Notification handler failed', { cause: thrown });
}
