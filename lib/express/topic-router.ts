import type { RequestHandler } from 'express';
import { topicNames } from '../core/dispatcher';
import { IDV_TOPICS } from '../core/idv-notification';
import type {
  IdvNotification,
  IdvNotificationOf,
  IdvTopic,
  UnknownIdvNotification,
} from '../core/idv-notification';
import { createNotificationRouter } from './notification-router';
import type { NotificationHandler } from './request';

/**
 * A known IDV topic as `.on()` accepts it: in payload (`session_completion`) or session
 * request (`SESSION_COMPLETION`) form. Matching is case-insensitive at run time.
 */
export type IdvTopicName = IdvTopic | Uppercase<IdvTopic>;

/** Options of {@link topicRouter}. */
export interface TopicRouterOptions<Extra extends string = never> {
  /**
   * Topics Yoti added after this package was released, which `.on()` then accepts (any
   * case). Without them, a topic this package does not know is a setup `TypeError`.
   */
  extraTopics?: readonly Extra[];
}

/**
 * The router returned by {@link topicRouter}: an Express middleware with chainable
 * `.on` and `.onUnknown`.
 */
export interface TopicRouter<Extra extends string = never> extends RequestHandler {
  /**
   * Handles one known topic, or several, in either case; the handler's `req.notification`
   * is narrowed to them. A second handler for the same topic is a `TypeError`.
   */
  on<T extends IdvTopicName>(
    topic: T | readonly T[],
    handler: NotificationHandler<IdvNotificationOf<Lowercase<T>>>,
  ): this;
  /** Handles a topic named in `extraTopics`, by name. */
  on(
    topic:
      | Extra
      | Uppercase<Extra>
      | Lowercase<Extra>
      | readonly (Extra | Uppercase<Extra> | Lowercase<Extra>)[],
    handler: NotificationHandler<UnknownIdvNotification>,
  ): this;
  /**
   * Handles every notification no `.on` claimed: a topic this package does not know yet,
   * or a known one with no handler. Tell them apart with `isKnownTopic()`.
   */
  onUnknown(handler: NotificationHandler<IdvNotification | UnknownIdvNotification>): this;
  /**
   * The topics with a handler of their own, lower case, in registration order: pass them
   * to `idvNotificationConfig({ topics })` so that the session subscribes to what is handled.
   */
  readonly topics: ReadonlyArray<IdvTopic | Lowercase<Extra>>;
  /** Whether a notification of this topic (any case) reaches a handler (`onUnknown` included). */
  handles(topic: string): boolean;
}

/**
 * Routes IDV notifications (from `parseIdvNotification()`) to a handler per topic.
 * When the handler settles without responding, the router answers 200; a throw or a
 * rejection goes to `next(err)`, so Yoti redelivers. A notification nobody handles is
 * acknowledged with 200: a non-200 would only make Yoti retry forever.
 *
 * Topics match case-insensitively. `.on()` with a topic this package does not know throws a
 * `TypeError` naming the closest known one, unless it is listed in `extraTopics`.
 *
 * @example
 * topicRouter()
 *   .on('session_completion', async (req) => fetchResult(req.notification.session_id))
 *   .on(['task_completion', 'CHECK_COMPLETION'], (req) => log(req.notification.topic))
 *   .onUnknown((req) => log('unhandled', req.notification.topic));
 * topicRouter({ extraTopics: ['a_future_topic'] }).on('a_future_topic', handler);
 */
export function topicRouter<const Extra extends string = never>(
  options: TopicRouterOptions<Extra> = {},
): TopicRouter<Extra> {
  return createTopicRouter(options.extraTopics, 'topicRouter({ extraTopics: [...] })');
}

/** {@link topicRouter}, with the setup hint of the factory that builds it (a preset). */
export function createTopicRouter<Extra extends string>(
  extraTopics: readonly Extra[] | undefined,
  optIn: string,
): TopicRouter<Extra> {
  return createNotificationRouter<TopicRouter<Extra>>(
    'topicRouter',
    (notification) => (notification as { topic?: unknown }).topic,
    'IDV topic (use parseIdvNotification())',
    topicNames(IDV_TOPICS, extraTopics, optIn),
  );
}
