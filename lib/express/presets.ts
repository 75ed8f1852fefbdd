import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type {
  AgeVerificationNotification,
  AgeVerificationNotificationOf,
  AgeVerificationState,
} from '../core/age-verification-notification';
import type {
  IdvNotification,
  IdvNotificationOf,
  IdvTopic,
  UnknownIdvNotification,
} from '../core/idv-notification';
import { authHeader } from './auth-header';
import { enqueue } from './enqueue';
import type { EnqueueOptions } from './enqueue';
import type { Inbox } from '../core/inbox';
import type { AuthHeaderOptions } from './auth-header';
import { parseIdvNotification } from './parse-idv-notification';
import { rawBody } from './raw-body';
import type { RawBodyOptions } from './raw-body';
import type { NotificationHandler } from './request';
import { createStateRouter } from './state-router';
import type { AgeVerificationStateName } from './state-router';
import { createTopicRouter } from './topic-router';
import type { IdvTopicName } from './topic-router';
import { verifySignature } from './verify-signature';
import type { SignatureVerifierOptions } from '../core/age-verification';

/**
 * One handler per IDV topic (payload or session request case), each seeing its own narrowed
 * notification; topics opted in with `extraTopics` see an {@link UnknownIdvNotification}.
 */
export type IdvHandlers<Extra extends string = never> = {
  [K in IdvTopicName | Extra | Uppercase<Extra> | Lowercase<Extra>]?: K extends IdvTopicName
    ? NotificationHandler<IdvNotificationOf<Lowercase<K>>>
    : NotificationHandler<UnknownIdvNotification>;
};

/**
 * The middlewares a preset returns, for `app.use(path, …)`, and what they handle, for the
 * session side: `idvNotificationConfig({ endpoint, auth, receiver: chain })`.
 */
export interface NotificationChain<Name extends string> extends Array<RequestHandler> {
  /** The names (topics or states) with a handler of their own, in normal case. */
  readonly topics: readonly Name[];
  /** Whether a notification of this name (any case) reaches a handler (`onUnknown` included). */
  handles(name: string): boolean;
}

/**
 * Where a preset's notifications go: `handlers` (with `onUnknown`), run inside the request,
 * or an `inbox`, where they are stored (200 once the engine confirmed the write, 503
 * `STORE_UNAVAILABLE` otherwise) and handled afterwards by `inbox.work()` workers.
 */
export type HandledBy<Handlers, Fallback> =
  | {
      /** Handlers by name (any case), run inside the request. */
      handlers: Handlers;
      /** Handler for every notification no handler above claims. */
      onUnknown?: Fallback;
      inbox?: undefined;
      storeTimeoutMs?: undefined;
    }
  | {
      /** A durable inbox: `new BullMQInbox(…)` or `new PgBossInbox(…)`. */
      inbox: Inbox;
      /** How long the engine may take to confirm a write, in ms (default 2,000). */
      storeTimeoutMs?: number;
      handlers?: undefined;
      onUnknown?: undefined;
    };

/** Options of {@link idvNotifications}. */
export type IdvNotificationsOptions<Extra extends string = never> = {
  /** The `authHeader()` options: `{ scheme, token }` or `{ scheme: 'bearer', jwt }`. */
  auth: AuthHeaderOptions;
  /** Body size limit (default 64 KiB). */
  limit?: RawBodyOptions['limit'];
  /** Topics Yoti added after this package, accepted as `handlers` keys (see `topicRouter()`). */
  extraTopics?: readonly Extra[];
} & HandledBy<
  IdvHandlers<NoInfer<Extra>>,
  NotificationHandler<IdvNotification | UnknownIdvNotification>
>;

/**
 * The whole IDV chain in one call: `authHeader` → `rawBody` → `parseIdvNotification` →
 * `topicRouter`, as an array of middlewares for `app.use(path, …)` or `app.post(path, …)`.
 * With a `token` function, `authHeader` runs after parsing, so that the function can read
 * `req.notification.session_id`; otherwise it runs first and unauthenticated bodies are
 * never read.
 *
 * Mount it at its own path (`app.use('/yoti/idv', …)` or `app.post('/yoti/idv', …)`): it
 * answers POST requests to that path only and passes every other request (another method,
 * a path below it) on with `next()`, so that mounted without a path it never answers the
 * app's other routes. Add `notificationErrorHandler()` after it for `{ code, message }`
 * JSON answers and one log line per refusal.
 *
 * @throws {TypeError} at setup, for any bad option of the middlewares it composes, and for
 *   a handler key that is not a known topic (naming the closest one) nor in `extraTopics`.
 * @example
 * app.use('/yoti/idv', idvNotifications({
 *   auth: { scheme: 'bearer', token: process.env.YOTI_NOTIFY_TOKEN! },
 *   handlers: { session_completion: (req) => fetchResult(req.notification.session_id) },
 * }), notificationErrorHandler());
 */
export function idvNotifications<const Extra extends string = never>(
  options: IdvNotificationsOptions<Extra>,
): NotificationChain<IdvTopic | Lowercase<Extra>> {
  const auth = authHeader(options?.auth);
  const body = rawBody(options.limit === undefined ? {} : { limit: options.limit });
  if (inboxOf(options, 'idvNotifications') !== undefined) {
    const store = enqueue(options.inbox!, storeOptions(options));
    const chain =
      typeof options.auth.token === 'function'
        ? [body, parseIdvNotification(), auth, store]
        : [auth, body, parseIdvNotification(), store];
    return notificationChain(chain, [], STORES_EVERYTHING);
  }
  const entries = handlerEntries(options, 'idvNotifications');
  const router = createTopicRouter(options.extraTopics, 'idvNotifications({ extraTopics: [...] })');
  for (const [topic, handler] of entries) {
    router.on(topic as IdvTopicName, handler as never);
  }
  if (options.onUnknown !== undefined) router.onUnknown(options.onUnknown);
  const chain =
    typeof options.auth.token === 'function'
      ? [body, parseIdvNotification(), auth, router]
      : [auth, body, parseIdvNotification(), router];
  return notificationChain(chain, router.topics, router);
}

/** One handler per age verification state (any case), each seeing its narrowed notification. */
export type AgeVerificationHandlers<Extra extends string = never> = {
  [
    S in AgeVerificationStateName | Extra | Uppercase<Extra> | Lowercase<Extra>
  ]?: NotificationHandler<AgeVerificationNotificationOf<Uppercase<S>>>;
};

/** Options of {@link ageVerificationNotifications}. */
export type AgeVerificationNotificationsOptions<Extra extends string = never> =
  SignatureVerifierOptions & {
    /** Body size limit (default 64 KiB). */
    limit?: RawBodyOptions['limit'];
    /** States Yoti added after this package, accepted as `handlers` keys (see `stateRouter()`). */
    extraStates?: readonly Extra[];
  } & HandledBy<
      AgeVerificationHandlers<NoInfer<Extra>>,
      NotificationHandler<AgeVerificationNotification>
    >;

/**
 * The whole age verification chain in one call: `rawBody` → `verifySignature` →
 * `stateRouter`, as an array of middlewares. Defaults to Yoti's published key. Like
 * {@link idvNotifications}, it answers POST requests to its own path only and passes
 * everything else on with `next()`.
 *
 * @throws {TypeError} at setup, for any bad option of the middlewares it composes, and for
 *   a handler key other than `COMPLETE`, `FAIL`, `ERROR` (any case) or one in `extraStates`.
 * @example
 * app.use('/yoti/age', ageVerificationNotifications({
 *   handlers: { COMPLETE: (req) => grantAccess(req.notification.session_key) },
 * }), notificationErrorHandler());
 */
export function ageVerificationNotifications<const Extra extends string = never>(
  options: AgeVerificationNotificationsOptions<Extra>,
): NotificationChain<AgeVerificationState | Uppercase<Extra>> {
  if (inboxOf(options, 'ageVerificationNotifications') !== undefined) {
    const {
      limit,
      inbox,
      storeTimeoutMs: _timeout,
      extraStates: _extraStates,
      ...verifyOptions
    } = options;
    return notificationChain(
      [
        rawBody(limit === undefined ? {} : { limit }),
        verifySignature(verifyOptions),
        enqueue(inbox!, storeOptions(options)),
      ],
      [],
      STORES_EVERYTHING,
    );
  }
  const entries = handlerEntries(options, 'ageVerificationNotifications');
  const router = createStateRouter(
    options.extraStates,
    'ageVerificationNotifications({ extraStates: [...] })',
  );
  for (const [state, handler] of entries) {
    router.on(state as AgeVerificationStateName, handler as never);
  }
  if (options.onUnknown !== undefined) router.onUnknown(options.onUnknown);
  const {
    limit,
    handlers: _handlers,
    onUnknown: _onUnknown,
    extraStates: _extraStates,
    inbox: _inbox,
    storeTimeoutMs: _storeTimeoutMs,
    ...verifyOptions
  } = options;
  return notificationChain(
    [rawBody(limit === undefined ? {} : { limit }), verifySignature(verifyOptions), router],
    router.states,
    router,
  );
}

/**
 * Wraps each middleware so that it runs only for a POST to the chain's own path: the path a
 * route matched (`app.post(path, …)`), or the mount path itself (`app.use(path, …)`, where
 * `req.path` is then `/`). Anything else goes to `next()`: a GET to the endpoint gets the
 * app's 404 rather than a 400 about an empty body, and a chain mounted without a path does
 * not answer the app's other routes with a 401.
 */
function notificationChain<Name extends string>(
  middlewares: RequestHandler[],
  topics: readonly Name[],
  router: { handles(name: string): boolean },
): NotificationChain<Name> {
  const chain = middlewares.map((middleware) => {
    const name = middleware.name;
    return {
      [name](req: Request, res: Response, next: NextFunction) {
        if (req.method !== 'POST' || (req.route === undefined && req.path !== '/')) return next();
        return middleware(req, res, next);
      },
    }[name]! as RequestHandler;
  });
  return Object.assign(chain, {
    topics: Object.freeze([...topics]),
    handles: (name: string) => router.handles(name),
  });
}

// With an inbox, every notification is stored for the workers to route.
const STORES_EVERYTHING = { handles: () => true };

/** The preset's inbox, checking that it has exactly one of `handlers` and `inbox`. */
function inboxOf(options: { handlers?: object; inbox?: Inbox }, where: string): Inbox | undefined {
  if (options === null || typeof options !== 'object')
    throw new TypeError(`${where}: options are required`);
  if ((options.inbox === undefined) === (options.handlers === undefined)) {
    throw new TypeError(
      `${where}: give handlers (run in the request) or an inbox (stored, run by workers), not both or neither`,
    );
  }
  if (options.inbox !== undefined && 'onUnknown' in options && options.onUnknown !== undefined) {
    throw new TypeError(`${where}: with an inbox, pass onUnknown to inbox.work() instead`);
  }
  return options.inbox;
}

function storeOptions(options: { storeTimeoutMs?: number }): EnqueueOptions {
  return options.storeTimeoutMs === undefined ? {} : { timeoutMs: options.storeTimeoutMs };
}

function handlerEntries(options: { handlers?: object }, where: string): Array<[string, unknown]> {
  if (options === null || typeof options !== 'object')
    throw new TypeError(`${where}: options are required`);
  const { handlers } = options;
  if (handlers === null || typeof handlers !== 'object') {
    throw new TypeError(`${where}: handlers must be an object of handlers by name`);
  }
  return Object.entries(handlers).filter(([, handler]) => handler !== undefined);
}
