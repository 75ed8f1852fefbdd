import type {
  AgeVerificationNotification,
  AgeVerificationNotificationOf,
  AgeVerificationState,
} from './age-verification-notification';
import { AGE_VERIFICATION_STATES } from './age-verification-notification';
import { Dispatcher, stateNames, topicNames } from './dispatcher';
import { IDV_TOPICS } from './idv-notification';
import type {
  IdvNotification,
  IdvNotificationOf,
  IdvTopic,
  UnknownIdvNotification,
} from './idv-notification';
import type { Notification } from './notification';

/**
 * The engine-neutral contract of a durable inbox: the receiving side stores each verified
 * notification and answers 200 once the engine confirmed the write; workers handle the
 * stored notifications afterwards, with retries. Each engine is an adapter in its own
 * subpath entry (`express-yoti-notifications/bullmq`, `express-yoti-notifications/pg-boss`).
 */

/** Which kind of notification an entry holds. */
export type NotificationKind = 'idv' | 'age';

/** One notification to store, as `enqueue()` hands it to {@link Inbox.store}. */
export interface InboxEntry {
  /** `'idv'` or `'age'`. */
  readonly kind: NotificationKind;
  /**
   * The notification's de-duplication key (the same key function as `deduplicate()`), or
   * `undefined`: stored every time. The adapter derives its job id from it.
   */
  readonly key: string | undefined;
  /** The validated notification, a plain JSON object as it was received. */
  readonly notification: Notification;
  /** When the receiver accepted it, in epoch milliseconds. */
  readonly receivedAt: number;
}

/**
 * An entry as an adapter keeps it in its engine: plain JSON, `key` `null` when there is none.
 * Not exported from the package; for adapters.
 */
export interface StoredEntry {
  readonly kind: NotificationKind;
  readonly key: string | null;
  readonly notification: Notification;
  readonly receivedAt: number;
}

/** What {@link Inbox.store} confirms. */
export interface StoreOutcome {
  /**
   * The engine's job id. For an entry with a key it is derived from the key, so a
   * redelivery resolves with the id of the job already held.
   */
  readonly id: string;
}

/** What a worker's handler gets beside the notification. */
export interface JobContext {
  /** The engine's job id. */
  readonly id: string;
  /** The de-duplication key, for idempotent side effects; `undefined` when it had none. */
  readonly key: string | undefined;
  /** This run's number, from 1 (every run counted, the first included). */
  readonly attempt: number;
  /** When the receiver accepted the notification. */
  readonly receivedAt: Date;
  /** `'idv'` or `'age'`. */
  readonly kind: NotificationKind;
}

/**
 * A worker's handler. It may be async; when it settles the job is completed, a throw or a
 * rejection makes the engine retry it with backoff until `attempts` runs out.
 */
export type InboxHandler<N> = (notification: N, job: JobContext) => unknown;

/**
 * Worker handlers: by IDV topic, by age verification state, and one fallback. Names match
 * case-insensitively, and a name this package does not know is a setup `TypeError`, as
 * with `topicRouter()` and `stateRouter()`, unless listed in `extraTopics` / `extraStates`.
 */
export interface InboxHandlers {
  /** One handler per IDV topic, each seeing its own narrowed notification. */
  readonly idv?: { readonly [T in IdvTopic]?: InboxHandler<IdvNotificationOf<T>> };
  /** One handler per age verification state. */
  readonly age?: {
    readonly [S in AgeVerificationState]?: InboxHandler<AgeVerificationNotificationOf<S>>;
  };
  /** IDV topics Yoti added after this package, accepted as `idv` keys. */
  readonly extraTopics?: readonly string[];
  /** Age verification states Yoti added after this package, accepted as `age` keys. */
  readonly extraStates?: readonly string[];
  /**
   * Every notification no handler above claims: a topic or state this package does not
   * know yet, or a known one with no handler. Without it, such a job completes unhandled.
   */
  readonly onUnknown?: InboxHandler<
    IdvNotification | UnknownIdvNotification | AgeVerificationNotification
  >;
}

/** A failed job, kept for inspection after its last attempt. */
export interface FailedEntry {
  /** The engine's job id: pass it to {@link Inbox.retry}. */
  readonly id: string;
  readonly kind: NotificationKind;
  readonly key: string | undefined;
  readonly notification: Notification;
  /** How many runs it had. */
  readonly attempts: number;
  /** The last error's message (the handler's own words; never a secret of this package). */
  readonly reason: string;
  readonly receivedAt: Date;
  /** When its last run failed, where the engine records it. */
  readonly failedAt: Date | undefined;
}

/** A running set of workers, from {@link Inbox.work}. */
export interface InboxWorker {
  /**
   * Stops taking jobs and waits for the running handlers, at most `timeoutMs` (default
   * 30,000); a handler still running then is left to the engine's lock expiry, which hands
   * its job to another worker. For SIGTERM.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

/** Options of {@link Inbox.work}. */
export interface WorkOptions {
  /** Handlers run at once in this process (default 1). */
  readonly concurrency?: number;
}

/** A durable inbox on one engine. */
export interface Inbox {
  /**
   * Stores one entry durably and resolves once the engine confirmed the write. An entry
   * whose key is already held (waiting, running, done within retention, or failed) is not
   * stored again and resolves alike, with the held job's id (on BullMQ, telling the two
   * apart would cost another round trip per notification). Rejects when the engine cannot
   * be reached (the receiver answers 503).
   */
  store(entry: InboxEntry): Promise<StoreOutcome>;
  /** Starts workers that run `handlers` for the stored entries. */
  work(handlers: InboxHandlers, options?: WorkOptions): InboxWorker;
  /** The failed entries, oldest first, at most `limit` (default 100). */
  failed(options?: { limit?: number }): Promise<FailedEntry[]>;
  /** Re-runs one failed entry by id, or every failed entry without one; resolves with how many. */
  retry(id?: string): Promise<number>;
  /** Closes the inbox's own connections (not a client the application passed in). */
  close(): Promise<void>;
}

type AnyInboxHandler = InboxHandler<never>;

/**
 * The worker-side routing shared by every adapter: the same dispatcher as `topicRouter()`
 * and `stateRouter()`, so that a handler is found by the same rules inline and in a worker.
 * Returns the function an adapter calls for each job.
 *
 * @throws {TypeError} at setup, for handlers that are not functions or not an object.
 */
export function createInboxDispatch(
  handlers: InboxHandlers,
  where = 'inbox.work',
): (notification: Notification, job: JobContext) => Promise<void> {
  if (handlers === null || typeof handlers !== 'object') {
    throw new TypeError(`${where}: handlers must be an object { idv?, age?, onUnknown? }`);
  }
  const routes = {
    idv: new Dispatcher<AnyInboxHandler>(
      `${where} idv`,
      topicNames(IDV_TOPICS, handlers.extraTopics, `${where}({ extraTopics: [...] })`),
    ),
    age: new Dispatcher<AnyInboxHandler>(
      `${where} age`,
      stateNames(AGE_VERIFICATION_STATES, handlers.extraStates, `${where}({ extraStates: [...] })`),
    ),
  };
  for (const kind of ['idv', 'age'] as const) {
    const byName = handlers[kind];
    if (byName === undefined) continue;
    if (byName === null || typeof byName !== 'object') {
      throw new TypeError(`${where}: handlers.${kind} must be an object of handlers by name`);
    }
    for (const [name, handler] of Object.entries(byName)) {
      if (handler !== undefined) routes[kind].on(name, handler as AnyInboxHandler);
    }
  }
  if (handlers.onUnknown !== undefined) {
    routes.idv.onUnknown(handlers.onUnknown as AnyInboxHandler);
    routes.age.onUnknown(handlers.onUnknown as AnyInboxHandler);
  }
  return async (notification, job) => {
    const fields = notification as unknown as Record<string, unknown>;
    const name = job.kind === 'idv' ? fields.topic : fields.state;
    const handler = typeof name === 'string' ? routes[job.kind].resolve(name) : undefined;
    if (handler !== undefined) {
      await (handler as InboxHandler<Notification>)(notification, job);
    }
  };
}
