// The BullMQ inbox on a real Redis: the shared inbox suite (shared-suite.ts), its own setup
// checks and job ids, and the README's inbox snippet.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { Redis } from 'ioredis';
import { BullMQInbox, jobIdOf } from '../../lib/bullmq';
import type * as InboxSnippet from '../../examples/snippets/inbox';
import { REDIS_URL, describeWithRedis, uniquePrefix } from '../dedup/redis-env';
import { idv, inboxSuite, until } from './shared-suite';

describeWithRedis('BullMQInbox', () => {
  inboxSuite({
    open: async () => {
      const connection = new Redis(REDIS_URL!, { maxRetriesPerRequest: null });
      const inbox = new BullMQInbox({
        connection,
        prefix: uniquePrefix('bullmq').replace(/:/g, '-'),
        attempts: 3,
        backoff: { delayMs: 5, maxDelayMs: 20 },
      });
      return {
        inbox,
        work: (handlers) => inbox.work(handlers),
        counts: async () => {
          const c = await inbox.queue.getJobCounts(
            'waiting',
            'delayed',
            'prioritized',
            'active',
            'completed',
            'failed',
          );
          return {
            waiting: (c.waiting ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0),
            active: c.active ?? 0,
            completed: c.completed ?? 0,
            failed: c.failed ?? 0,
          };
        },
        close: async () => {
          await inbox.close();
          connection.disconnect();
        },
      };
    },
    openUnreachable: async () => {
      const dead = new Redis('redis://127.0.0.1:1', {
        maxRetriesPerRequest: null,
        lazyConnect: true,
        retryStrategy: () => 50,
      });
      const inbox = new BullMQInbox({ connection: dead });
      return {
        inbox,
        close: async () => {
          dead.disconnect();
          await inbox.close().catch(() => undefined);
        },
      };
    },
  });

  test('setup mistakes are TypeErrors', () => {
    const connection = new Redis(REDIS_URL!, { lazyConnect: true });
    expect(() => new BullMQInbox({} as never)).toThrow(TypeError);
    expect(() => new BullMQInbox({ connection, queueName: 'a:b' })).toThrow(/queueName/);
    expect(() => new BullMQInbox({ connection, attempts: 0 })).toThrow(/attempts/);
    connection.disconnect();
  });
});

test('jobIdOf: no colon, never all digits, fixed length, distinct', () => {
  for (const key of ['idv:s:session_completion', '12345', 'x'.repeat(60_000)]) {
    expect(jobIdOf(key)).toMatch(/^n[0-9a-f]{64}$/);
  }
  expect(jobIdOf('a')).not.toBe(jobIdOf('b'));
  // Fixed across versions: a redelivery after an upgrade must find the job stored before it.
  expect(jobIdOf('idv:s:t')).toBe(
    'n133b4bb7ded1eb608aee8ca77fb3d57e92046b919bbd946d3e0625c606a54627',
  );
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
