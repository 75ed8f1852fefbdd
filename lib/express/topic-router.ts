import type { RequestHandler } from 'express';
import type {
  IdvNotification,
  IdvNotificationOf,
  IdvTopic,
  UnknownIdvNotification,
} from '../core/idv-notification';
import { createNotificationRouter } from './notification-router';
import type { NotificationHandler } from './request';

/**
 * The router returned by {@link topicRouter}: an Express middleware with chainable
 * `.on` and `.onUnknown`.
 */
export interface TopicRouter extends RequestHandler {
  /**
   * Handles one known topic, or several; the handler's `req.notification` is narrowed to
   * them. A second handler for the same topic is a `TypeError`.
   */
  on<T extends IdvTopic>(
    topic: T | readonly T[],
    handler: NotificationHandler<IdvNotificationOf<T>>,
  ): this;
  /** Handles a topic this package does not know yet, by name. */
  on(topic: string | readonly string[], handler: NotificationHandler<UnknownIdvNotification>): this;
  /**
   * Handles every notification no `.on` claimed: a topic this package does not know yet,
   * or a known one with no handler. Tell them apart with `isKnownTopic()`.
   */
  onUnknown(handler: NotificationHandler<IdvNotification | UnknownIdvNotification>): this;
}

/**
 * Routes IDV notifications (from `parseIdvNotification()`) to a handler per topic.
 * When the handler settles without responding, the router answers 200; a throw or a
 * rejection goes to `next(err)`, so Yoti redelivers. A notification nobody handles is
 * acknowledged with 200: a non-200 would only make Yoti retry forever.
 *
 * @example
 * topicRouter()
 *   .on('session_completion', async (req) => fetchResult(req.notification.session_id))
 *   .on(['task_completion', 'check_completion'], (req) => log(req.notification.topic))
 *   .onUnknown((req) => log('unhandled', req.notification.topic));
 */
export function topicRouter(): TopicRouter {
  return createNotificationRouter<TopicRouter>(
    'topicRouter',
    (notification) => (notification as { topic?: unknown }).topic,
    'IDV topic (use parseIdvNotification())',
  );
}
