// The BullMQ inbox on a real Redis: 200 means stored, redeliveries stored once, retries with
// backoff, failed jobs kept and re-run, and 503 while Redis cannot be reached.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { Redis } from 'ioredis';
import { enqueue, notificationErrorHandler, parseIdvNotification, rawBody } from '../../lib';
import type { FailedEntry, Inbox, JobContext } from '../../lib';
import { BullMQInbox, jobIdOf } from '../../lib/bullmq';
import type * as InboxSnippet from '../../examples/snippets/inbox';
import { REDIS_URL, describeWithRedis, uniquePrefix } from '../dedup/redis-env';

const idv = (session: string, topic = 'session_completion') =>
  JSON.stringify({ session_id: session, topic });

/** Polls `check` until it holds (the worker runs in the background), at most `ms`. */
async function until(check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describeWithRedis('BullMQInbox', () => {
  let connection: Redis;
  let inbox: BullMQInbox;
  const app = (target: Inbox, timeoutMs = 2_000) => {
    const a = express();
    a.post('/idv', rawBody(), parseIdvNotification(), enqueue(target, { timeoutMs }));
    a.use(notificationErrorHandler({ log: () => undefined }));
    return a;
  };

  beforeEach(() => {
    connection = new Redis(REDIS_URL!, { maxRetriesPerRequest: null });
    inbox = new BullMQInbox({
      connection,
      prefix: uniquePrefix('bullmq').replace(/:/g, '-'),
      attempts: 3,
      backoff: { delayMs: 5, maxDelayMs: 20 },
    });
  });
  afterEach(async () => {
    await inbox.close();
    connection.disconnect();
  });

  test('a slow handler: the 200 comes back before it runs to its end, and it runs once', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const runs: JobContext[] = [];
    const worker = inbox.work({
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
    release();
    await worker.close();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      kind: 'idv',
      key: 'idv:s-slow:session_completion',
      attempt: 1,
    });
  });

  test('redeliveries while waiting and after completion are stored once, handled once', async () => {
    const a = app(inbox);
    for (let i = 0; i < 3; i++) {
      await request(a).post('/idv').type('json').send(idv('s-dup')).expect(200);
    }
    expect(await inbox.queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
    let handled = 0;
    const worker = inbox.work({ idv: { session_completion: () => void handled++ } });
    const id = jobIdOf('idv:s-dup:session_completion');
    await until(async () => (await inbox.queue.getJob(id))?.isCompleted() ?? false);
    await request(a).post('/idv').type('json').send(idv('s-dup')).expect(200);
    expect(await inbox.queue.getJobCounts('waiting', 'active')).toEqual({ waiting: 0, active: 0 });
    await worker.close();
    expect(handled).toBe(1);
  });

  test('failing twice then succeeding runs three times; failing always ends in failed(), and retry() re-runs it', async () => {
    const runs: Record<string, number> = {};
    let heal = false;
    const worker = inbox.work({
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
      }),
    ]);
    expect(runs['s-bad']).toBe(3);
    // A redelivery of a failed notification is not stored again.
    await request(a).post('/idv').type('json').send(idv('s-bad')).expect(200);
    heal = true;
    expect(await inbox.retry(failed[0]!.id)).toBe(1);
    await until(() => runs['s-bad'] === 4);
    await until(async () => (await inbox.failed()).length === 0);
    await worker.close();
    expect(runs['s-flaky']).toBe(3);
  });

  test('Redis unreachable: 503 STORE_UNAVAILABLE with Retry-After, nothing acknowledged', async () => {
    const dead = new Redis('redis://127.0.0.1:1', {
      maxRetriesPerRequest: null,
      lazyConnect: true,
      retryStrategy: () => 50,
    });
    const down = new BullMQInbox({ connection: dead });
    const res = await request(app(down, 200)).post('/idv').type('json').send(idv('s-down'));
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('STORE_UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('5');
    dead.disconnect();
    await down.close().catch(() => undefined);
  });

  test('setup mistakes are TypeErrors', () => {
    expect(() => new BullMQInbox({} as never)).toThrow(TypeError);
    expect(() => new BullMQInbox({ connection, queueName: 'a:b' })).toThrow(/queueName/);
    expect(() => new BullMQInbox({ connection, attempts: 0 })).toThrow(/attempts/);
  });
});

test('jobIdOf: no colon, never all digits, fixed length, distinct', () => {
  for (const key of ['idv:s:session_completion', '12345', 'x'.repeat(60_000)]) {
    expect(jobIdOf(key)).toMatch(/^n[0-9a-f]{64}$/);
  }
  expect(jobIdOf('a')).not.toBe(jobIdOf('b'));
});

describeWithRedis("the README's inbox snippet", () => {
  test('is examples/snippets/inbox.ts verbatim, and a notification reaches its worker', async () => {
    const root = path.join(__dirname, '..', '..');
    const code = readFileSync(path.join(root, 'examples/snippets/inbox.ts'), 'utf8').trimEnd();
    expect(readFileSync(path.join(root, 'README.md'), 'utf8')).toContain(
      '```ts\n' + code + '\n```',
    );
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const snippet = require('../../examples/snippets/inbox') as typeof InboxSnippet;
    try {
      await snippet.inbox.queue.obliterate({ force: true });
      await request(snippet.app)
        .post('/yoti/idv')
        .set('Authorization', 'Basic ' + Buffer.from('yoti:change-me').toString('base64'))
        .type('json')
        .send(idv('s-readme'))
        .expect(200);
      await until(() => log.mock.calls.some((call) => call[1] === 's-readme'));
      expect(log).toHaveBeenCalledWith('fetch session', 's-readme', 'run', 1);
    } finally {
      await snippet.worker.close();
      await snippet.inbox.queue.obliterate({ force: true });
      await snippet.inbox.close();
      snippet.connection.disconnect();
      log.mockRestore();
    }
  });
});
