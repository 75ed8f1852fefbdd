// The behaviours every inbox adapter must have, run against each one (bullmq.test.ts,
// pg-boss.test.ts) on Express 4 and 5: 200 means stored, redeliveries stored once and handled
// once, retries with backoff, failed jobs kept and re-run, and 503 while the engine is
// unreachable or too slow.
import request from 'supertest';
import { enqueue, notificationErrorHandler, parseIdvNotification, rawBody } from '../../lib';
import type { FailedEntry, Inbox, InboxHandlers, InboxWorker, JobContext } from '../../lib';
import { EXPRESS_VERSIONS } from '../support/express-versions';

/** Jobs of one inbox by state; `waiting` includes those waiting for a retry. */
export interface JobCounts {
  waiting: number;
  active: number;
  completed: number;
  failed: number;
}

/** One inbox under test, on its own queue, with 3 attempts and retries within a second. */
export interface InboxUnderTest {
  readonly inbox: Inbox;
  /** Starts workers, polling fast where the engine polls. */
  work(handlers: InboxHandlers): InboxWorker;
  /** The inbox's jobs by state, from the engine itself. */
  counts(): Promise<JobCounts>;
  close(): Promise<void>;
}

/** How the suite gets inboxes of one adapter. */
export interface InboxAdapter {
  /** A fresh inbox on its own queue, ready: `attempts: 3`, backoff short enough for a test. */
  open(): Promise<InboxUnderTest>;
  /** An inbox whose engine cannot be reached. */
  openUnreachable(): Promise<{ inbox: Inbox; close(): Promise<void> }>;
}

export const idv = (session: string, topic = 'session_completion') =>
  JSON.stringify({ session_id: session, topic });

/** Polls `check` until it holds (the worker runs in the background), at most `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const total = (c: JobCounts) => c.waiting + c.active + c.completed + c.failed;

/** Registers the shared inbox tests for one adapter. */
export function inboxSuite(adapter: InboxAdapter): void {
  // Workers poll, retries wait, and a first start installs the engine's schema: seconds each.
  jest.setTimeout(30_000);
  describe.each(EXPRESS_VERSIONS)('%s', (_name, factory) => {
    let under: InboxUnderTest;
    let inbox: Inbox;
    const app = (target: Inbox, timeoutMs = 2_000) => {
      const a = factory();
      a.post('/idv', rawBody(), parseIdvNotification(), enqueue(target, { timeoutMs }));
      a.use(notificationErrorHandler({ log: () => undefined }));
      return a;
    };

    beforeEach(async () => {
      under = await adapter.open();
      inbox = under.inbox;
    });
    afterEach(async () => {
      await under.close();
    });

    test('a slow handler: the 200 comes back before it runs to its end, and it runs once', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const runs: JobContext[] = [];
      const worker = under.work({
        idv: {
          session_completion: async (_n, job) => {
            runs.push(job);
            await gate;
          },
        },
      });
      const res = await request(app(inbox)).post('/idv').type('json').send(idv('s-slow'));
      expect(res.status).toBe(200);
      await until(() => runs.length === 1);
      expect(await under.counts()).toMatchObject({ active: 1, completed: 0 });
      release();
      await until(async () => (await under.counts()).completed === 1);
      await worker.close();
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({
        kind: 'idv',
        key: 'idv:s-slow:session_completion',
        attempt: 1,
      });
      expect(runs[0]!.receivedAt).toBeInstanceOf(Date);
    });

    test('redeliveries while waiting, while running and after completion: stored once, handled once', async () => {
      const a = app(inbox);
      for (let i = 0; i < 3; i++) {
        await request(a).post('/idv').type('json').send(idv('s-dup')).expect(200);
      }
      expect(await under.counts()).toEqual({ waiting: 1, active: 0, completed: 0, failed: 0 });
      let handled = 0;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const worker = under.work({
        idv: {
          session_completion: async () => {
            handled++;
            await gate;
          },
        },
      });
      await until(() => handled === 1);
      await request(a).post('/idv').type('json').send(idv('s-dup')).expect(200);
      expect(await under.counts()).toEqual({ waiting: 0, active: 1, completed: 0, failed: 0 });
      release();
      await until(async () => (await under.counts()).completed === 1);
      await request(a).post('/idv').type('json').send(idv('s-dup')).expect(200);
      expect(await under.counts()).toEqual({ waiting: 0, active: 0, completed: 1, failed: 0 });
      // Without a key (a topic this package does not know), every delivery is stored.
      await request(a).post('/idv').type('json').send(idv('s-new', 'new_topic')).expect(200);
      await request(a).post('/idv').type('json').send(idv('s-new', 'new_topic')).expect(200);
      await until(async () => (await under.counts()).completed === 3);
      await worker.close();
      expect(handled).toBe(1);
    });

    test('failing twice then succeeding runs three times; failing always ends in failed(), and retry() re-runs it', async () => {
      const runs: Record<string, number> = {};
      let heal = false;
      const worker = under.work({
        idv: {
          session_completion: (n) => {
            runs[n.session_id] = (runs[n.session_id] ?? 0) + 1;
            if (n.session_id === 's-flaky' && runs[n.session_id]! < 3) throw new Error('flaky');
            if (n.session_id === 's-bad' && !heal) throw new Error('always');
          },
        },
      });
      const a = app(inbox);
      await request(a).post('/idv').type('json').send(idv('s-flaky')).expect(200);
      await request(a).post('/idv').type('json').send(idv('s-bad')).expect(200);
      let failed: FailedEntry[] = [];
      await until(async () => {
        failed = await inbox.failed();
        return failed.length === 1 && runs['s-flaky'] === 3;
      });
      expect(failed).toEqual([
        expect.objectContaining({
          kind: 'idv',
          key: 'idv:s-bad:session_completion',
          attempts: 3,
          reason: 'always',
          notification: { session_id: 's-bad', topic: 'session_completion' },
        }),
      ]);
      expect(failed[0]!.receivedAt).toBeInstanceOf(Date);
      expect(runs['s-bad']).toBe(3);
      // A redelivery of a failed notification is not stored again.
      await request(a).post('/idv').type('json').send(idv('s-bad')).expect(200);
      expect(await inbox.retry('00000000-0000-4000-8000-000000000000')).toBe(0);
      heal = true;
      expect(await inbox.retry(failed[0]!.id)).toBe(1);
      await until(() => runs['s-bad'] === 4);
      await until(async () => (await inbox.failed()).length === 0);
      await worker.close();
      expect(runs['s-flaky']).toBe(3);
      expect(runs['s-bad']).toBe(4);
      expect(await inbox.retry()).toBe(0);
    });

    test('worker.close() waits for the running handler, which completes; a handler that never ends does not hold it past timeoutMs', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let entered = false;
      let finished = false;
      const worker = under.work({
        idv: {
          session_completion: async () => {
            entered = true;
            await gate;
            finished = true;
          },
        },
      });
      await request(app(inbox)).post('/idv').type('json').send(idv('s-close')).expect(200);
      await until(() => entered);
      let closed = false;
      const closing = worker.close({ timeoutMs: 20_000 }).then(() => (closed = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(closed).toBe(false);
      release();
      await closing;
      expect(finished).toBe(true);
      await until(async () => (await under.counts()).completed === 1);

      let stuckEntered = false;
      const stuck = under.work({
        idv: {
          session_completion: () => {
            stuckEntered = true;
            return new Promise(() => undefined);
          },
        },
      });
      await request(app(inbox)).post('/idv').type('json').send(idv('s-stuck')).expect(200);
      await until(() => stuckEntered);
      const started = Date.now();
      await stuck.close({ timeoutMs: 300 });
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    test('an engine slower than the timeout: 503 STORE_UNAVAILABLE; the late write is not stored twice', async () => {
      const slow: Inbox = {
        store: async (entry) => {
          await new Promise((resolve) => setTimeout(resolve, 300));
          return inbox.store(entry);
        },
        work: (handlers) => inbox.work(handlers),
        failed: (options) => inbox.failed(options),
        retry: (id) => inbox.retry(id),
        close: () => inbox.close(),
      };
      const res = await request(app(slow, 100)).post('/idv').type('json').send(idv('s-late'));
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('STORE_UNAVAILABLE');
      expect(res.headers['retry-after']).toBe('5');
      await until(async () => total(await under.counts()) === 1);
      await request(app(inbox)).post('/idv').type('json').send(idv('s-late')).expect(200);
      expect(await under.counts()).toEqual({ waiting: 1, active: 0, completed: 0, failed: 0 });
    });

    test('the engine unreachable: 503 STORE_UNAVAILABLE with Retry-After', async () => {
      const down = await adapter.openUnreachable();
      try {
        const res = await request(app(down.inbox, 500))
          .post('/idv')
          .type('json')
          .send(idv('s-down'));
        expect(res.status).toBe(503);
        expect(res.body.code).toBe('STORE_UNAVAILABLE');
        expect(res.headers['retry-after']).toBe('5');
      } finally {
        await down.close();
      }
    });
  });
}
