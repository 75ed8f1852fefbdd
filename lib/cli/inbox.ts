// `express-yoti-notifications inbox failed|retry`: the inbox's failed notifications, listed
// and re-run, from the command line.
import { CliError } from './cli-error';
import type { CliIo } from './cli-error';
import { parseCommandArgs, positiveInteger } from './arguments';
import type { FailedEntry, Inbox } from '../core/inbox';
import { INBOX_USAGE } from './usage';
import type * as IoRedis from 'ioredis';
import type * as BullMQ from '../bullmq';
import type * as PgBossAdapter from '../pg-boss';

/** How the command reaches an engine: the one place that picks an adapter from the flags. */
export type InboxOpener = (flags: {
  redis?: string;
  postgres?: string;
  queue?: string;
}) => Promise<{ inbox: Inbox; close(): Promise<void> }>;

/** The adapters, loaded only when the command needs one (each is an optional peer). */
export const openInbox: InboxOpener = async ({ redis, postgres, queue }) => {
  if ((redis === undefined) === (postgres === undefined)) {
    throw new CliError('inbox: give exactly one of --redis <url> and --postgres <url>');
  }
  if (redis !== undefined) {
    // Loaded here, not at the top: bullmq, ioredis and pg-boss are optional peers that `send`
    // and `keygen` do without.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { Redis } = require('ioredis') as typeof IoRedis;
    const { BullMQInbox } = require('../bullmq') as typeof BullMQ;
    /* eslint-enable @typescript-eslint/no-require-imports */
    const connection = new Redis(redis, { maxRetriesPerRequest: null });
    const inbox = new BullMQInbox({ connection, ...(queue !== undefined && { queueName: queue }) });
    return {
      inbox,
      close: async () => {
        await inbox.close();
        connection.disconnect();
      },
    };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PgBossInbox } = require('../pg-boss') as typeof PgBossAdapter;
  const inbox = new PgBossInbox({
    connectionString: postgres!,
    ...(queue !== undefined && { queueName: queue }),
  });
  return { inbox, close: () => inbox.close() };
};

/** `inbox failed|retry`; resolves with the exit code. */
export async function inbox(
  args: string[],
  io: CliIo,
  open: InboxOpener = openInbox,
): Promise<number> {
  const { values, positionals } = parseCommandArgs('inbox', args, {
    redis: { type: 'string' },
    postgres: { type: 'string' },
    queue: { type: 'string' },
    id: { type: 'string' },
    limit: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) {
    io.stdout(INBOX_USAGE);
    return 0;
  }
  const [action, ...extra] = positionals;
  if ((action !== 'failed' && action !== 'retry') || extra.length > 0) {
    throw new CliError('inbox: give "failed" or "retry" (see "inbox --help")');
  }
  const limit = positiveInteger('inbox', 'limit', values.limit, 100);
  const { inbox: target, close } = await open({
    ...(values.redis !== undefined && { redis: values.redis }),
    ...(values.postgres !== undefined && { postgres: values.postgres }),
    ...(values.queue !== undefined && { queue: values.queue }),
  });
  try {
    if (action === 'failed') {
      const failed = await target.failed({ limit });
      for (const entry of failed) io.stdout(describe(entry) + '\n');
      io.stdout(`${failed.length} failed notification${failed.length === 1 ? '' : 's'}\n`);
      return 0;
    }
    const count = await target.retry(values.id);
    io.stdout(`${count} notification${count === 1 ? '' : 's'} queued again\n`);
    return values.id !== undefined && count === 0 ? 1 : 0;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`inbox: the engine could not be reached (${(error as Error).message})`, {
      cause: error,
    });
  } finally {
    await close().catch(() => undefined);
  }
}

/** One line per failed entry: what identifies it, never a secret. */
function describe(entry: FailedEntry): string {
  const fields = entry.notification as unknown as Record<string, unknown>;
  const name = entry.kind === 'idv' ? fields.topic : fields.state;
  return [
    entry.id,
    entry.kind,
    String(name),
    `attempts=${entry.attempts}`,
    `failed=${entry.failedAt?.toISOString() ?? '?'}`,
    `reason=${JSON.stringify(entry.reason.slice(0, 200))}`,
  ].join('  ');
}
