import { assertStaticToken } from './auth';
import type { AuthScheme } from './auth';
import { IDV_TOPICS } from './idv-notification';
import type { IdvTopic } from './idv-notification';

/** Options of {@link idvNotificationConfig}. */
export interface IdvNotificationConfigOptions {
  /** The HTTPS URL Yoti will POST notifications to. */
  endpoint: string;
  /**
   * How Yoti authenticates to the endpoint: the same `{ scheme, token }` you give
   * `authHeader()`. For `basic` the token is `username:password`.
   */
  auth?: { scheme: AuthScheme; token: string };
  /** Topics to be notified of, in payload (lower-case) or request (upper-case) form. */
  topics?: ReadonlyArray<IdvTopic | Uppercase<IdvTopic> | (string & Record<never, never>)>;
  /**
   * The preset chain or router that receives the notifications (`idvNotifications(…)`,
   * `topicRouter()`): `topics` default to the topics it handles, and a subscribed topic it
   * would not pass to a handler (none of its own, no `onUnknown`) is a `TypeError`.
   */
  receiver?: { readonly topics: readonly string[]; handles(topic: string): boolean };
}

/** The `notifications` object of an IDV session request, as Yoti's API expects it. */
export interface IdvNotificationConfig {
  auth_token?: string;
  auth_type?: 'BASIC' | 'BEARER';
  endpoint: string;
  topics: string[];
}

/**
 * Builds the `notifications` object of an IDV session request from the same auth options
 * the receiving middleware uses. Its `JSON.stringify` is byte for byte what the official
 * `yoti` Node SDK's `NotificationConfigBuilder` produces for the same inputs: keys in the
 * order `auth_token, auth_type, endpoint, topics`, unset keys dropped, topics upper-cased
 * and de-duplicated in first-seen order.
 *
 * @throws {TypeError} for an endpoint that is not an absolute HTTPS URL, an unknown scheme,
 *   a token `authHeader()` would refuse (empty, a Promise, whitespace at either end such as
 *   a trailing newline, a control character, Basic without a colon), an empty topic, or a
 *   topic the `receiver` does not handle.
 * @example
 * idvNotificationConfig({
 *   endpoint: 'https://app.example/yoti/idv',
 *   auth: { scheme: 'basic', token: 'username:password' },
 *   topics: ['session_completion', 'check_completion'],
 * });
 * // → { auth_token: 'username:password', auth_type: 'BASIC',
 * //     endpoint: 'https://app.example/yoti/idv', topics: ['SESSION_COMPLETION', 'CHECK_COMPLETION'] }
 */
export function idvNotificationConfig(
  options: IdvNotificationConfigOptions,
): IdvNotificationConfig {
  const where = 'idvNotificationConfig';
  const { endpoint, auth, receiver } = options;
  const topics = options.topics ?? receiver?.topics ?? [];
  if (
    typeof endpoint !== 'string' ||
    !URL.canParse(endpoint) ||
    new URL(endpoint).protocol !== 'https:'
  ) {
    throw new TypeError(
      `${where}: endpoint must be an absolute https:// URL (Yoti posts over TLS)`,
    );
  }
  const upper: string[] = [];
  for (const topic of topics) {
    if (typeof topic !== 'string' || topic.length === 0) {
      throw new TypeError(
        `${where}: topics must be non-empty strings (known: ${IDV_TOPICS.join(', ')})`,
      );
    }
    if (receiver !== undefined && !receiver.handles(topic)) {
      throw new TypeError(
        `${where}: ${JSON.stringify(topic)} is subscribed but the receiver has no handler ` +
          'for it and no onUnknown: its notifications would be acknowledged and dropped',
      );
    }
    const name = topic.toUpperCase();
    if (!upper.includes(name)) upper.push(name);
  }
  const config: IdvNotificationConfig = { endpoint, topics: upper };
  if (auth === undefined) return config;
  assertStaticToken(auth.scheme, auth.token, where);
  return {
    auth_token: auth.token,
    auth_type: auth.scheme === 'basic' ? 'BASIC' : 'BEARER',
    ...config,
  };
}
