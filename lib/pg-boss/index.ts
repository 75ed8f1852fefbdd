// The inbox on pg-boss (Postgres). `pg-boss` (and `@electric-sql/pglite` for the embedded
// inbox) are optional peer dependencies, loaded only by this subpath entry:
// `express-yoti-notifications/pg-boss`. pg-boss 12 is ESM only; the CommonJS build loads it
// with require(), which Node loads ESM with from 22.12 on.
import { hash } from 'node:crypto';
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

/**
 * The part of pg-boss's API this adapter uses, typed here: pg-boss 12's own declarations
 * name a type they do not export (`ResolvedConstructorOptions`), which fails a type check
 * without `skipLibCheck`, in this package and in its users' builds alike.
 */
export interface PgBossLike {
  start(): Promise<unknown>;
  stop(options?: { graceful?: boolean; timeout?: number; close?: boolean }): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  createQueue(name: string, options?: Record<string, unknown>): Promise<void>;
  updateQueue(name: string, options?: Record<string, unknown>): Promise<void>;
  send(name: string, data: object, options?: Record<string, unknown>): Promise<string | null>;
  work<T>(
    name: string,
    options: Record<string, unknown>,
    handler: (jobs: { id: string; retryCount: number; data: T }[]) => Promise<unknown>,
  ): Promise<string>;
  offWork(name: string, options?: { id?: string; wait?: boolean }): Promise<void>;
  fail(name: string, id: string, data?: object): Promise<unknown>;
  findJobs<T>(name: string, options?: Record<string, unknown>): Promise<PgBossJob<T>[]>;
  redrive(name: string, options?: Record<string, unknown>): Promise<number>;
}

/** The fields of a pg-boss job (`findJobs()`) that this adapter reads. */
export interface PgBossJob<T> {
  id: string;
  data: T;
  state: string;
  createdOn: Date;
  sourceRetryCount: number | null;
  sourceOutput: object | null;
}

/** pg-boss's database interface (`Db`): what `send(…, { db })` writes through. */
export interface PgBossDb {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** The part of a PGlite instance this adapter uses (pg-boss's `fromPglite` needs `query` and `exec`). */
export interface PGliteLike {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  exec(text: string): Promise<{ rows: unknown[] }[]>;
  close(): Promise<void>;
}

interface PgBossModule {
  PgBoss: new (
    options: ({ connectionString: string } | { db: PgBossDb }) & {
      superviseIntervalSeconds?: number;
      monitorIntervalSeconds?: number;
    },
  ) => PgBossLike;
  fromPglite(pglite: PGliteLike): PgBossDb;
}

// Loaded with require(): Node >= 22.12 loads the ESM-only pg-boss so, for CommonJS and ESM
// users of this package alike.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { PgBoss, fromPglite } = require('pg-boss') as PgBossModule;

/** What a job holds: the inbox entry, as JSON. */
type JobData = StoredEntry;

/**
 * Where the inbox keeps its jobs: a pg-boss instance of the application's (started or not;
 * the inbox starts it when needed and never stops it), a Postgres connection string, or PGlite
 * (Postgres in WASM, in process, no server): a data directory, `':memory:'`, or a PGlite
 * instance of the application's.
 */
export type PgBossInboxEngine =
  | { boss: PgBossLike; connectionString?: never; pglite?: never }
  | { connectionString: string; boss?: never; pglite?: never }
  | { pglite: string | PGliteLike; boss?: never; connectionString?: never };

/** Options of {@link PgBossInbox}. */
export type PgBossInboxOptions = PgBossInboxEngine & {
  /** The pg-boss queue name (default `'yoti-notifications'`); failed jobs go to `<queueName>.failed`. */
  queueName?: string;
  /** How long completed and failed jobs are kept, in ms (default 7 days): their keys are remembered as long. */
  retentionMs?: number;
  /** Runs of a job at most, the first included (default 10); then it is kept as failed. */
  attempts?: number;
  /**
   * Backoff between runs, in whole seconds as pg-boss counts them: about `delayMs × 2^(run − 1)`
   * with jitter (pg-boss's), capped at `maxDelayMs` (defaults 1,000 and 3,600,000). `delayMs: 0`
   * retries at once, without backoff.
   */
  backoff?: { delayMs?: number; maxDelayMs?: number };
  /**
   * How long a run may take before pg-boss counts it as lost and runs the job again (default
   * 900 s): this is how a job whose worker died mid-handler is recovered. The inbox's own
   * pg-boss looks for expired runs every `min(expireInSeconds, 60)` seconds (a `boss` you pass
   * keeps its own `superviseIntervalSeconds` and `monitorIntervalSeconds`). Receivers and workers
   * must agree on it: a job takes its expiry when it is stored.
   */
  expireInSeconds?: number;
};

/** Options of {@link PgBossInbox.work}, beyond the engine-neutral ones. */
export interface PgBossWorkOptions extends WorkOptions {
  /** How often an idle worker looks for jobs, in seconds (pg-boss's, default 2, at least 0.5). */
  pollingIntervalSeconds?: number;
  /** Called after a run that threw, with whether the job will run again. */
  onFailed?: (entry: { id: string; attempt: number; willRetry: boolean; error: unknown }) => void;
  /** Called after a run that succeeded. */
  onCompleted?: (entry: { id: string; attempt: number }) => void;
}

/**
 * A database to store through instead of the inbox's own connection, so that the job is
 * written in the application's transaction: anything with `query(text, values)` (a `pg`
 * `Client` or `PoolClient` inside `BEGIN`, a PGlite transaction) or a pg-boss `Db`.
 */
export type PgBossStoreDb =
  PgBossDb | { query(text: string, values?: unknown[]): Promise<unknown> };

const DEFAULT_QUEUE = 'yoti-notifications';
const WEEK_MS = 7 * 24 * 60 * 60 * 1000;
// How long a job may wait for a worker before pg-boss drops it: never, in practice.
const QUEUED_RETENTION_SECONDS = 10 * 365 * 24 * 60 * 60;
// A fixed namespace for the job ids, so that the same key gives the same id everywhere.
const NAMESPACE = 'express-yoti-notifications/inbox';

/**
 * The job id for a notification key: a UUID (pg-boss ids are UUIDs) made, in the manner of a
 * version 5 UUID, from the SHA-256 of a fixed namespace and the key. The same key gives the
 * same id in every process, so a redelivery finds its job.
 */
export function jobIdOf(key: string): string {
  const bytes = hash('sha256', `${NAMESPACE}\0${key}`, 'buffer').subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function asDb(db: PgBossStoreDb): PgBossDb {
  if (typeof (db as PgBossDb).executeSql === 'function') return db as PgBossDb;
  if (typeof (db as { query?: unknown }).query === 'function') {
    const client = db as { query(text: string, values?: unknown[]): Promise<unknown> };
    return {
      executeSql: async (text, values) => (await client.query(text, values)) as { rows: unknown[] },
    };
  }
  throw new TypeError('PgBossInbox.store: db must have query(text, values) or executeSql()');
}

function reasonOf(output: unknown): string {
  const message = (output as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : '';
}

/**
 * A durable inbox on pg-boss: `enqueue(inbox)` stores each verified notification as a job
 * whose id is derived from its de-duplication key, and answers 200 once Postgres committed it;
 * `inbox.work()` starts workers that run the handlers, retried with exponential backoff and
 * jitter up to `attempts`, then kept as failed in the dead-letter queue `<queueName>.failed`
 * (`failed()`, `retry()`, and the CLI's `inbox failed|retry --postgres`). Handler execution
 * is at least once (a run longer than `expireInSeconds`, as when its worker died, runs again);
 * the key is there for idempotent side effects. On PGlite (`{ pglite: dir }`) it needs no
 * server: one process at a time per data directory.
 *
 * @throws {TypeError} at setup for a missing engine or a bad option.
 * @example
 * const inbox = new PgBossInbox({ pglite: './inbox-data' }); // or { connectionString }
 * app.post('/yoti/age', rawBody(), verifySignature(), enqueue(inbox));
 * const worker = inbox.work({ age: { COMPLETE: (n) => grant(n.session_key) } }, { concurrency: 8 });
 */
export class PgBossInbox implements Inbox {
  /** The underlying pg-boss instance. */
  readonly boss: PgBossLike;
  /** The queue the notifications wait in. */
  readonly queueName: string;
  /** The dead-letter queue the failed notifications are kept in: `<queueName>.failed`. */
  readonly failedQueueName: string;
  readonly #ownsBoss: boolean;
  readonly #pglite: PGliteLike | undefined;
  readonly #ownsPglite: boolean;
  readonly #retentionSeconds: number;
  readonly #attempts: number;
  readonly #delaySeconds: number;
  readonly #maxDelaySeconds: number;
  readonly #expireInSeconds: number;
  readonly #workers = new Set<string>();
  #ready: Promise<void> | undefined;

  constructor(options: PgBossInboxOptions) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('PgBossInbox: give { boss }, { connectionString } or { pglite }');
    }
    const engines = [options.boss, options.connectionString, options.pglite].filter(
      (engine) => engine !== undefined,
    );
    if (engines.length !== 1) {
      throw new TypeError('PgBossInbox: give exactly one of boss, connectionString or pglite');
    }
    const queueName = options.queueName ?? DEFAULT_QUEUE;
    if (typeof queueName !== 'string' || !/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(queueName)) {
      throw new TypeError('PgBossInbox: queueName must be letters, digits, "_", "-" or "."');
    }
    const retentionMs = options.retentionMs ?? WEEK_MS;
    const attempts = options.attempts ?? 10;
    const delayMs = options.backoff?.delayMs ?? 1_000;
    const maxDelayMs = options.backoff?.maxDelayMs ?? 60 * 60 * 1000;
    const expireInSeconds = options.expireInSeconds ?? 900;
    for (const [name, value, integer, zero] of [
      ['retentionMs', retentionMs, false, false],
      ['attempts', attempts, true, false],
      ['backoff.delayMs', delayMs, false, true],
      ['backoff.maxDelayMs', maxDelayMs, false, false],
      ['expireInSeconds', expireInSeconds, true, false],
    ] as const) {
      if (!(
        Number.isFinite(value) &&
        (value > 0 || (zero && value === 0)) &&
        (!integer || Number.isInteger(value))
      )) {
        throw new TypeError(
          `PgBossInbox: ${name} must be a positive ${integer ? 'integer' : 'number'}`,
        );
      }
    }
    this.queueName = queueName;
    this.failedQueueName = `${queueName}.failed`;
    this.#retentionSeconds = Math.max(1, Math.ceil(retentionMs / 1000));
    this.#attempts = attempts;
    this.#delaySeconds = Math.ceil(delayMs / 1000);
    this.#maxDelaySeconds = Math.max(1, Math.ceil(maxDelayMs / 1000));
    this.#expireInSeconds = expireInSeconds;

    // Expired runs are found by pg-boss's supervisor and queue monitor (every 60 s by default):
    // as often as a run may last, so that a dead worker's job runs again about when it expires.
    const every = Math.min(expireInSeconds, 60);
    const supervision = { superviseIntervalSeconds: every, monitorIntervalSeconds: every };
    if (options.boss !== undefined) {
      if (typeof options.boss?.send !== 'function') {
        throw new TypeError('PgBossInbox: boss must be a PgBoss instance');
      }
      this.boss = options.boss;
      this.#ownsBoss = false;
      this.#ownsPglite = false;
    } else if (options.connectionString !== undefined) {
      if (typeof options.connectionString !== 'string' || options.connectionString === '') {
        throw new TypeError('PgBossInbox: connectionString must be a non-empty string');
      }
      this.boss = new PgBoss({ connectionString: options.connectionString, ...supervision });
      this.#ownsBoss = true;
      this.#ownsPglite = false;
    } else {
      const pglite = options.pglite;
      if (typeof pglite === 'string') {
        if (pglite === '') throw new TypeError('PgBossInbox: pglite must be a directory');
        // Loaded here only: apps on a Postgres server need not install PGlite.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { PGlite } = require('@electric-sql/pglite') as {
          PGlite: new (dataDir?: string) => PGliteLike;
        };
        this.#pglite = pglite === ':memory:' ? new PGlite() : new PGlite(pglite);
        this.#ownsPglite = true;
      } else if (typeof (pglite as PGliteLike | null)?.query === 'function') {
        this.#pglite = pglite as PGliteLike;
        this.#ownsPglite = false;
      } else {
        throw new TypeError('PgBossInbox: pglite must be a directory, ":memory:" or a PGlite');
      }
      this.boss = new PgBoss({ db: fromPglite(this.#pglite), ...supervision });
      this.#ownsBoss = true;
    }
    // Connection errors surface on the calls that fail (enqueue answers 503); an 'error'
    // event with no listener would crash the process.
    this.boss.on('error', () => undefined);
  }

  /**
   * Starts pg-boss (the first start installs its schema: seconds on PGlite) and creates the
   * queues, or applies the inbox's options to queues that exist. `store()`, `work()`, `failed()` and `retry()` do it when
   * needed; await it before listening, so that the first notification does not wait for it.
   * A failed start is tried again on the next call.
   */
  start(): Promise<void> {
    return this.#start();
  }

  #start(): Promise<void> {
    this.#ready ??= (async () => {
      // pg-boss's start() is a no-op on a started instance: an application's boss may be either.
      await this.boss.start();
      const failedQueue = {
        retentionSeconds: this.#retentionSeconds,
        deleteAfterSeconds: this.#retentionSeconds,
      };
      const queue = {
        retryLimit: this.#attempts - 1,
        retryDelay: this.#delaySeconds,
        retryBackoff: this.#delaySeconds > 0,
        retryDelayMax: this.#delaySeconds > 0 ? this.#maxDelaySeconds : null,
        expireInSeconds: this.#expireInSeconds,
        retentionSeconds: QUEUED_RETENTION_SECONDS,
        deleteAfterSeconds: this.#retentionSeconds,
        deadLetter: this.failedQueueName,
      };
      // createQueue() leaves an existing queue as it was: updateQueue() applies these options to
      // the jobs stored from now on.
      await this.boss.createQueue(this.failedQueueName, failedQueue);
      await this.boss.updateQueue(this.failedQueueName, failedQueue);
      await this.boss.createQueue(this.queueName, queue);
      await this.boss.updateQueue(this.queueName, queue);
    })().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  /**
   * {@inheritDoc Inbox.store}
   *
   * With `{ db }`, the job is written through the application's own connection, inside its
   * transaction: stored when the transaction commits, not at all when it rolls back (the
   * id is then that of a write that has not committed yet).
   */
  async store(entry: InboxEntry, options: { db?: PgBossStoreDb } = {}): Promise<StoreOutcome> {
    await this.#start();
    const id = entry.key === undefined ? undefined : jobIdOf(entry.key);
    const data: JobData = {
      kind: entry.kind,
      key: entry.key ?? null,
      notification: entry.notification,
      receivedAt: entry.receivedAt,
    };
    const sent = await this.boss.send(this.queueName, data, {
      ...(id !== undefined && { id }),
      ...(options.db !== undefined && { db: asDb(options.db) }),
    });
    // pg-boss answers null for an id it already holds, and stores nothing.
    if (sent === null && id === undefined) throw new Error('PgBossInbox: pg-boss stored no job');
    return { id: sent ?? id! };
  }

  /** {@inheritDoc Inbox.work} */
  work(handlers: InboxHandlers, options: PgBossWorkOptions = {}): InboxWorker {
    const dispatch = createInboxDispatch(handlers, 'PgBossInbox.work');
    const concurrency = options.concurrency ?? 1;
    if (!(Number.isInteger(concurrency) && concurrency > 0)) {
      throw new TypeError('PgBossInbox.work: concurrency must be a positive integer');
    }
    const attempts = this.#attempts;
    const run = async (job: { id: string; retryCount: number; data: JobData }) => {
      const attempt = job.retryCount + 1;
      try {
        await dispatch(job.data.notification, {
          id: job.id,
          key: job.data.key ?? undefined,
          attempt,
          receivedAt: new Date(job.data.receivedAt),
          kind: job.data.kind,
        });
      } catch (error) {
        options.onFailed?.({ id: job.id, attempt, willRetry: attempt < attempts, error });
        // Failed on its own (retried by the queue's policy); the batch's others complete.
        const message = error instanceof Error ? error.message : String(error);
        await this.boss.fail(this.queueName, job.id, { message });
        return;
      }
      options.onCompleted?.({ id: job.id, attempt });
    };
    // pg-boss waits its polling interval after every fetch unless the fetch filled its batch:
    // a worker fetches batches (of at least 2, so that a full one is fetched again at once)
    // and runs `concurrency` of their jobs at a time; the jobs that did not fail complete
    // together when the batch is done.
    const batchSize = Math.max(2, concurrency);
    const handler = async (jobs: { id: string; retryCount: number; data: JobData }[]) => {
      const queue = [...jobs];
      const lane = async (): Promise<void> => {
        for (let job = queue.shift(); job !== undefined; job = queue.shift()) await run(job);
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, lane));
    };
    let closed = false;
    let retryTimer: NodeJS.Timeout | undefined;
    // Postgres unreachable when the worker starts: it tries again every few seconds until closed.
    const start = async (): Promise<string | undefined> => {
      for (;;) {
        if (closed) return undefined;
        try {
          await this.#start();
          return await this.boss.work<JobData>(
            this.queueName,
            {
              batchSize,
              burstWhenBatchFull: true,
              ...(options.pollingIntervalSeconds !== undefined && {
                pollingIntervalSeconds: options.pollingIntervalSeconds,
              }),
            },
            handler,
          );
        } catch {
          await new Promise<void>((resolve) => (retryTimer = setTimeout(resolve, 5_000)));
        }
      }
    };
    const started = start();
    void started.then((id) => id !== undefined && this.#workers.add(id));
    return {
      close: async ({ timeoutMs = 30_000 } = {}) => {
        closed = true;
        clearTimeout(retryTimer);
        const id = await started;
        if (id === undefined) return;
        this.#workers.delete(id);
        let timer: NodeJS.Timeout | undefined;
        const bounded = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        });
        await Promise.race([this.boss.offWork(this.queueName, { id, wait: true }), bounded]);
        clearTimeout(timer);
      },
    };
  }

  /** {@inheritDoc Inbox.failed} */
  async failed({ limit = 100 }: { limit?: number } = {}): Promise<FailedEntry[]> {
    await this.#start();
    const jobs = await this.boss.findJobs<JobData>(this.failedQueueName, { queued: true, limit });
    return jobs.map((job) => ({
      id: job.id,
      kind: job.data.kind,
      key: job.data.key ?? undefined,
      notification: job.data.notification,
      attempts: (job.sourceRetryCount ?? 0) + 1,
      reason: reasonOf(job.sourceOutput),
      receivedAt: new Date(job.data.receivedAt),
      failedAt: job.createdOn instanceof Date ? job.createdOn : undefined,
    }));
  }

  /**
   * {@inheritDoc Inbox.retry}
   *
   * The job goes back to the queue with a fresh count of attempts (and a new job id: the key's
   * id stays with the failed run, so redeliveries are still recognised).
   */
  async retry(id?: string): Promise<number> {
    await this.#start();
    if (id !== undefined) {
      return this.boss.redrive(this.failedQueueName, { ids: [id], destination: this.queueName });
    }
    let count = 0;
    // Pages of 1,000, at most 100 of them: a job failing again during the loop waits for the next call.
    for (let page = 0; page < 100; page++) {
      const moved = await this.boss.redrive(this.failedQueueName, {
        destination: this.queueName,
        limit: 1_000,
      });
      count += moved;
      if (moved < 1_000) break;
    }
    return count;
  }

  /** {@inheritDoc Inbox.close} */
  async close(): Promise<void> {
    await Promise.all(
      [...this.#workers].map((id) => this.boss.offWork(this.queueName, { id, wait: true })),
    );
    this.#workers.clear();
    if (this.#ownsBoss) {
      await this.boss.stop({ graceful: true, timeout: 30_000 }).catch(() => undefined);
    }
    if (this.#ownsPglite) await this.#pglite!.close();
  }
}
