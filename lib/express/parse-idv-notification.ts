import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { toIdvNotification } from '../core/idv-notification';
import { parseJson } from '../core/json';
import { RawBodyUnavailableError } from '../core/errors';
import './request';

/**
 * Parses `req.rawBody` (from `rawBody()`) as an IDV notification and puts the validated,
 * frozen object on `req.notification`: `session_id` and `topic` required strings, the
 * topic's id field (`task_id`, `resource_id`, `check_id`) required for its topic; a topic
 * this package does not know passes through; extra fields are kept.
 *
 * Errors: 400 `PAYLOAD_MALFORMED` (not JSON), 400 `PAYLOAD_INVALID` (names the field),
 * 500 `RAW_BODY_UNAVAILABLE` when `rawBody()` did not run first.
 *
 * @example
 * app.post('/yoti/idv', authHeader(auth), rawBody(), parseIdvNotification(), topicRouter().on(…));
 */
export function parseIdvNotification(): RequestHandler {
  return function parseIdvNotificationMiddleware(
    req: Request,
    res: Response,
    next: NextFunction,
  ): void {
    if (!Buffer.isBuffer(req.rawBody)) {
      return next(
        new RawBodyUnavailableError('parseIdvNotification() needs rawBody() mounted before it'),
      );
    }
    try {
      req.notification = toIdvNotification(parseJson(req.rawBody));
    } catch (error) {
      return next(error);
    }
    next();
  };
}
