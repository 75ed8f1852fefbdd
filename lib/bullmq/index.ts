// The inbox on BullMQ (Redis). `bullmq` is an optional peer dependency, loaded only by this
// subpath entry: `express-yoti-notifications/bullmq`.
import { hash } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import type { ConnectionOptions, Job } from 'bullmq';
import { createInboxDispatch } from '../core/inbox';
import type {
  FailedEntry,
  Inbox,
  InboxEntry,
  InboxHandlers,
  InboxWorker,
  StoredEntry,
  StoreOutcome,
  WorkOptions,
} from '../core/inbox';

/** Options of {@link BullMQInbox}. */
export interface BullMQInboxOptions {
  /**
   * How to reach Redis: ioredis options (`{ host, port }`, `{ url }` is not one: use
   * `new Redis(url, { maxRetriesPerRequest: null })`) or an ioredis instance. BullMQ's own
   * requirements apply: `maxmemory-policy noeviction`, and AOF for durability.
   */
  connection: ConnectionOptions;
  /** The BullMQ queue name (default `'yoti-notifications'`). */
  queueName?: string;
  /** BullMQ's key prefix (default BullMQ's, `'bull'`). */
  prefix?: string;
  /** How long completed and failed jobs are kept, in ms (default 7 days): their keys are remembered as long. */
  retentionMs?: number;
  /** Runs of a job at most, the first included (default 10); then it is kept as failed. */
  attempts?: number;
  /** Backoff between runs: `delayMs × 2^(run − 1)`, capped at `maxDelayMs`, with full jitter. */
  backoff?: { delayMs?: number; maxDelayMs?: number };
}

/** Options of {@link BullMQInbox.work}, beyond the engine-neutral ones. */
export interface BullMQWorkOptions extends WorkOptions {
  /** How long a worker holds a job before it counts as stalled, in ms (BullMQ's `lockDuration`, default 30,000). */
  lockDurationMs?: number;
  /** How often stalled jobs are looked for, in ms (BullMQ's `stalledInterval`, default 30,000). */
  stalledIntervalMs?: number;
  /** Called after a run that threw, with whether the job will run again. */
  onFailed?: (entry: { id: string; attempt: number; willRetry: boolean; error: unknown }) => void;
  /** Called after a run that succeeded. */
  onCompleted?: (entry: { id: string; attempt: number }) => void;
}

const DEFAULT_QUEUE = 'yoti-notifications';
const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The job id for a notification key: `n` and the key's SHA-256 in hex. BullMQ ids may not
 * contain `:` and must not be all digits; a digest also bounds the id's length whatever the key.
 */
export function jobIdOf(key: string): string {
  return 'n' + hash('sha256', key, 'hex');
}

/**
 * A durable inbox on BullMQ: `enqueue(inbox)` stores each verified notification as a job,
 * keyed by its de-duplication key, and answers 200 once Redis confirmed it; `inbox.work()`
 * starts workers that run the handlers, retried with exponential backoff and jitter up to
 * `attempts`, then kept as failed (`failed()`, `retry()`, and the CLI's `inbox failed|retry`).
 * Handler execution is at least once (a worker that dies mid-handler loses its lock and the
 * job runs again elsewhere); the key is there for idempotent side effects.
 *
 * @throws {TypeError} at setup for a missing connection or a bad option.
 * @example
 * const inbox = new BullMQInbox({ connection: { host: '127.0.0.1', port: 6379 } });
 * app.post('/yoti/age', rawBody(), verifySignature(), enqueue(inbox));
 * const worker = inbox.work({ age: { COMPLETE: (n) => grant(n.session_key) } }, { concurrency: 8 });
 */
export class BullMQInbox implements Inbox {
  /** The underlying BullMQ queue. */
  readonly queue: Queue;
  readonly #connection: ConnectionOptions;
  readonly #prefix: string | undefined;
  readonly #retentionSeconds: number;
  readonly #attempts: number;
  readonly #delayMs: number;
  readonly #maxDelayMs: number;
  readonly #workers = new Set<Worker>();

  constructor(options: BullMQInboxOptions) {
    if (options === null || typeof options !== 'object' || options.connection == null) {
      throw new TypeError('BullMQInbox: connection is required (ioredis options or instance)');
    }
    const queueName = options.queueName ?? DEFAULT_QUEUE;
    if (typeof queueName !== 'string' || queueName === '' || queueName.includes(':')) {
      throw new TypeError('BullMQInbox: queueName must be a non-empty string without ":"');
    }
    const retentionMs = options.retentionMs ?? WEEK_MS;
    this.#attempts = options.attempts ?? 10;
    this.#delayMs = options.backoff?.delayMs ?? 1_000;
    this.#maxDelayMs = options.backoff?.maxDelayMs ?? 60 * 60 * 1000;
    for (const [name, value, integer] of [
      ['retentionMs', retentionMs, false],
      ['attempts', this.#attempts, true],
      ['backoff.delayMs', this.#delayMs, false],
      ['backoff.maxDelayMs', this.#maxDelayMs, false],
    ] as const) {
      if (!(Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value)))) {
        throw new TypeError(
          `BullMQInbox: ${name} must be a positive ${integer ? 'integer' : 'number'}`,
        );
      }
    }
    this.#connection = options.connection;
    this.#prefix = options.prefix;
    this.#retentionSeconds = Math.ceil(retentionMs / 1000);
    this.queue = new Queue(queueName, {
      connection: options.connection,
      ...(options.prefix !== undefined && { prefix: options.prefix }),
    });
    // Connection errors surface on the calls that fail (enqueue answers 503); an 'error'
    // event with no listener would crash the process.
    this.queue.on('error', () => undefined);
  }

  /** {@inheritDoc Inbox.store} */
  async store(entry: InboxEntry): Promise<StoreOutcome> {
    const jobId = entry.key === undefined ? undefined : jobIdOf(entry.key);
    const data: StoredEntry = {
      kind: entry.kind,
      key: entry.key ?? null,
      notification: entry.notification,
      receivedAt: entry.receivedAt,
    };
    // BullMQ adds nothing for an id it already holds (checked and written in one script, so
    // racing deliveries store one job) and answers with that id either way.
    const job = await this.queue.add(entry.kind, data, {
      ...(jobId !== undefined && { jobId }),
      attempts: this.#attempts,
      backoff: { type: 'jitter' },
      removeOnComplete: { age: this.#retentionSeconds },
      removeOnFail: { age: this.#retentionSeconds },
    });
    return { id: String(job.id) };
  }

  /** {@inheritDoc Inbox.work} */
  work(handlers: InboxHandlers, options: BullMQWorkOptions = {}): InboxWorker {
    const dispatch = createInboxDispatch(handlers, 'BullMQInbox.work');
    const concurrency = options.concurrency ?? 1;
    if (!(Number.isInteger(concurrency) && concurrency > 0)) {
      throw new TypeError('BullMQInbox.work: concurrency must be a positive integer');
    }
    const delayMs = this.#delayMs;
    const maxDelayMs = this.#maxDelayMs;
    const worker = new Worker<StoredEntry>(
      this.queue.name,
      async (job: Job<StoredEntry>) => {
        const { data } = job;
        await dispatch(data.notification, {
          id: String(job.id),
          key: data.key ?? undefined,
          attempt: job.attemptsMade + 1,
          receivedAt: new Date(data.receivedAt),
          kind: data.kind,
        });
      },
      {
        connection: this.#connection,
        ...(this.#prefix !== undefined && { prefix: this.#prefix }),
        concurrency,
        ...(options.lockDurationMs !== undefined && { lockDuration: options.lockDurationMs }),
        ...(options.stalledIntervalMs !== undefined && {
          stalledInterval: options.stalledIntervalMs,
        }),
        settings: {
          // Full jitter (a random wait up to the exponential delay), so that many failed
          // notifications do not come back at once.
          backoffStrategy: (attemptsMade: number) =>
            Math.round(Math.random() * Math.min(maxDelayMs, delayMs * 2 ** (attemptsMade - 1))),
        },
      },
    );
    worker.on('error', () => undefined);
    worker.on('failed', (job, error) => {
      if (job === undefined || options.onFailed === undefined) return;
      options.onFailed({
        id: String(job.id),
        attempt: job.attemptsMade,
        willRetry: job.attemptsMade < (job.opts.attempts ?? 1),
        error,
      });
    });
    worker.on('completed', (job) => {
      options.onCompleted?.({ id: String(job.id), attempt: job.attemptsMade + 1 });
    });
    this.#workers.add(worker);
    return {
      close: async ({ timeoutMs = 30_000 } = {}) => {
        this.#workers.delete(worker);
        // BullMQ answers a second close() (forced or not) with the first one's promise, so the
        // bound is a plain timer: a handler still running then is left to the lock's expiry.
        let timer: NodeJS.Timeout | undefined;
        const bound = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        });
        await Promise.race([worker.close(), bound]);
        clearTimeout(timer);
      },
    };
  }

  /** {@inheritDoc Inbox.failed} */
  async failed({ limit = 100 }: { limit?: number } = {}): Promise<FailedEntry[]> {
    const jobs = (await this.queue.getFailed(0, limit - 1)) as Job<StoredEntry>[];
    return jobs
      .filter((job) => job !== undefined && job !== null)
      .map((job) => ({
        id: String(job.id),
        kind: job.data.kind,
        key: job.data.key ?? undefined,
        notification: job.data.notification,
        attempts: job.attemptsMade,
        reason: job.failedReason ?? '',
        receivedAt: new Date(job.data.receivedAt),
        failedAt: job.finishedOn === undefined ? undefined : new Date(job.finishedOn),
      }))
      .reverse();
  }

  /** {@inheritDoc Inbox.retry} */
  async retry(id?: string): Promise<number> {
    const jobs =
      id === undefined
        ? ((await this.queue.getFailed()) as Job<StoredEntry>[])
        : [(await this.queue.getJob(id)) as Job<StoredEntry> | undefined];
    let count = 0;
    for (const job of jobs) {
      if (job === undefined || job === null || !(await job.isFailed())) continue;
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      count++;
    }
    return count;
  }

  /** {@inheritDoc Inbox.close} */
  async close(): Promise<void> {
    await Promise.all([...this.#workers].map((worker) => worker.close()));
    this.#workers.clear();
    await this.queue.close();
  }
}
