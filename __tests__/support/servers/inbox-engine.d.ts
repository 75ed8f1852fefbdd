import type { Inbox } from '../../../lib';

/** The engines the process-level inbox tests run on. */
export const ENGINES: readonly ['bullmq', 'pg-boss'];
export type Engine = (typeof ENGINES)[number];

/** Why `engine` cannot run here (its build or its server is missing), or `undefined`. */
export function engineUnavailable(engine: string): string | undefined;
/** An inbox of `engine` on the queue `queueName`, from dist/. */
export function createInbox(
  engine: Engine,
  queueName: string,
  options?: { attempts?: number; backoff?: { delayMs?: number; maxDelayMs?: number } },
): Inbox;
/** Options of `inbox.work()`; `lockMs`: how long a dead worker's job stays locked. */
export function workOptions(
  engine: Engine,
  options?: { concurrency?: number; lockMs?: number },
): Record<string, unknown>;
/** Jobs not finished yet, or `undefined` where this engine offers no count here. */
export function pendingJobs(engine: Engine, inbox: Inbox): Promise<number | undefined>;
/** Closes the inbox and the connection built for it. */
export function closeInbox(engine: Engine, inbox: Inbox): Promise<void>;
/** Removes the queue's data. */
export function destroyQueue(engine: Engine, inbox: Inbox): Promise<void>;
