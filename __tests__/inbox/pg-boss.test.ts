// The pg-boss inbox: the shared inbox suite (shared-suite.ts) on PGlite, always, and on a
// Postgres server when DATABASE_URL is set; its setup checks and job ids.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PgBossInbox, jobIdOf } from '../../lib/pg-boss';
import type { PGliteLike, PgBossLike } from '../../lib/pg-boss';
import { DATABASE_URL, describeWithPostgres } from '../support/postgres-env';
import { inboxSuite, until } from './shared-suite';
import type { InboxAdapter, JobCounts } from './shared-suite';

// PGlite's own declarations need the DOM and Emscripten types; this package types what it uses.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { PGlite } = require('@electric-sql/pglite') as {
  PGlite: new (dir?: string) => PGliteLike;
};
// pg-boss's declarations name a type they do not export (see lib/pg-boss): typed here too.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { PgBoss, fromPglite } = require('pg-boss') as {
  PgBoss: new (options: { db: unknown }) => PgBossLike & {
    getQueue(name: string): Promise<Record<string, unknown> | null>;
  };
  fromPglite(pglite: PGliteLike): unknown;
};

/** An adapter of the shared suite: one inbox per test, each on its own queue. */
function adapterOn(
  engine: () => { pglite: PGliteLike } | { connectionString: string },
): InboxAdapter {
  return {
    open: async () => {
      const inbox = new PgBossInbox({
        ...engine(),
        queueName: `test-${randomUUID()}`,
        attempts: 3,
        backoff: { delayMs: 0 },
      } as never);
      await inbox.failed(); // creates the queues
      return {
        inbox,
        work: (handlers) => inbox.work(handlers, { pollingIntervalSeconds: 0.5 }),
        counts: async () => {
          const counts: JobCounts = { waiting: 0, active: 0, completed: 0, failed: 0 };
          for (const job of await inbox.boss.findJobs(inbox.queueName, { limit: 1_000 })) {
            const state = job.state === 'created' || job.state === 'retry' ? 'waiting' : job.state;
            if (state in counts) counts[state as keyof JobCounts]++;
          }
          return counts;
        },
        close: () => inbox.close(),
      };
    },
    openUnreachable: async () => {
      const inbox = new PgBossInbox({ connectionString: 'postgres://nobody@127.0.0.1:1/none' });
      return { inbox, close: () => inbox.close() };
    },
  };
}

describe('PgBossInbox on PGlite', () => {
  // One in-memory database for the file (pg-boss takes seconds to install its schema), one
  // queue per test. The inbox does not close a PGlite it was given.
  let pglite: PGliteLike;
  beforeAll(() => {
    pglite = new PGlite();
  });
  afterAll(async () => {
    await pglite.close();
  });
  inboxSuite(adapterOn(() => ({ pglite })));
});

describeWithPostgres('PgBossInbox on Postgres', () => {
  inboxSuite(adapterOn(() => ({ connectionString: DATABASE_URL! })));
});

describe('PgBossInbox engines', () => {
  jest.setTimeout(60_000);
  const entry = (id: string) =>
    ({
      kind: 'age',
      key: `av:${id}`,
      notification: { id, state: 'COMPLETE' } as never,
      receivedAt: 1,
    }) as const;

  test('{ pglite: dir }: a stored notification is still there after the inbox closed and reopened', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'inbox-pglite-'));
    try {
      const first = new PgBossInbox({ pglite: dir, queueName: 'durable' });
      expect(await first.store(entry('a'))).toEqual({ id: jobIdOf('av:a') });
      await first.close();
      const again = new PgBossInbox({ pglite: dir, queueName: 'durable' });
      try {
        // The job is still there, and a redelivery is not stored beside it.
        await again.start();
        const held = async () => (await again.boss.findJobs('durable', {})).map((job) => job.id);
        expect(await held()).toEqual([jobIdOf('av:a')]);
        expect(await again.store(entry('a'))).toEqual({ id: jobIdOf('av:a') });
        expect(await held()).toEqual([jobIdOf('av:a')]);
        const seen: string[] = [];
        const worker = again.work(
          { age: { COMPLETE: (n) => void seen.push(n.id) } },
          { pollingIntervalSeconds: 0.5 },
        );
        await until(() => seen.length === 1);
        await worker.close();
        expect(seen).toEqual(['a']);
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('{ boss } not started: the inbox starts it, applies its options to an existing queue, and leaves it running', async () => {
    const pglite = new PGlite();
    const boss = new PgBoss({ db: fromPglite(pglite) });
    boss.on('error', () => undefined);
    try {
      const queueName = 'shared';
      const once = new PgBossInbox({ boss, queueName, attempts: 5 });
      await once.start();
      expect((await boss.getQueue(queueName))?.retryLimit).toBe(4);
      const twice = new PgBossInbox({ boss, queueName, attempts: 2, backoff: { delayMs: 0 } });
      await twice.start();
      expect(await boss.getQueue(queueName)).toMatchObject({
        retryLimit: 1,
        retryBackoff: false,
        deadLetter: 'shared.failed',
      });
      await twice.close();
      expect(await twice.store(entry('b'))).toEqual({ id: jobIdOf('av:b') }); // the boss still runs
    } finally {
      await boss.stop({ graceful: false });
      await pglite.close();
    }
  });
});

describe('PgBossInbox setup', () => {
  test('setup mistakes are TypeErrors', () => {
    expect(() => new PgBossInbox({} as never)).toThrow(/exactly one of/);
    expect(() => new PgBossInbox(null as never)).toThrow(TypeError);
    expect(
      () => new PgBossInbox({ connectionString: 'postgres://x', pglite: ':memory:' } as never),
    ).toThrow(/exactly one of/);
    expect(() => new PgBossInbox({ connectionString: '' })).toThrow(/connectionString/);
    expect(() => new PgBossInbox({ boss: {} as PgBossLike })).toThrow(/PgBoss instance/);
    expect(() => new PgBossInbox({ pglite: 42 as never })).toThrow(/pglite/);
    const cs = { connectionString: 'postgres://127.0.0.1:1/x' };
    expect(() => new PgBossInbox({ ...cs, queueName: 'a b' })).toThrow(/queueName/);
    expect(() => new PgBossInbox({ ...cs, attempts: 0 })).toThrow(/attempts/);
    expect(() => new PgBossInbox({ ...cs, attempts: 1.5 })).toThrow(/attempts/);
    expect(() => new PgBossInbox({ ...cs, backoff: { delayMs: -1 } })).toThrow(/delayMs/);
    expect(() => new PgBossInbox({ ...cs, expireInSeconds: 0 })).toThrow(/expireInSeconds/);
    const inbox = new PgBossInbox(cs);
    expect(inbox.failedQueueName).toBe('yoti-notifications.failed');
    expect(() => inbox.work({ idv: { session_completion: 1 as never } })).toThrow(TypeError);
    expect(() => inbox.work({}, { concurrency: 0 })).toThrow(/concurrency/);
  });

  test('jobIdOf: a version 5 style UUID, the same for the same key, distinct for others', () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (const key of ['idv:s:session_completion', '12345', 'x'.repeat(60_000), '']) {
      expect(jobIdOf(key)).toMatch(uuid);
    }
    expect(jobIdOf('idv:s:session_completion')).toBe(jobIdOf('idv:s:session_completion'));
    // Pinned: ids must not change between versions, or redeliveries would be stored again.
    expect(jobIdOf('idv:s:session_completion')).toBe('92ee8cf0-92a8-54d6-b9f2-50e19a00ff04');
    expect(jobIdOf('a')).not.toBe(jobIdOf('b'));
  });
});
