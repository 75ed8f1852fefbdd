// The code of the de-duplication README section and docs/deduplication.md is the files in
// ./snippets, verbatim; this test runs them.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { app as memoryApp, fetched } from './snippets/memory-store';
import { app as redisApp, completed, redis } from './snippets/redis-store';
import { defaultDeduplicationKey } from '../../lib';
import type { Notification } from '../../lib';
import { describeWithRedis } from './redis-env';
import { basic } from '../support/express-versions';

const ROOT = path.join(__dirname, '..', '..');
const auth = basic('yoti:change-me');

test.each(['memory-store.ts', 'redis-store.ts'])(
  'the README or docs/deduplication.md shows %s verbatim',
  (file) => {
    const readme = ['README.md', 'docs/deduplication.md']
      .map((name) => readFileSync(path.join(ROOT, name), 'utf8'))
      .join('\n');
    const code = readFileSync(path.join(__dirname, 'snippets', file), 'utf8').trimEnd();
    expect(readme).toContain('```ts\n' + code + '\n```');
  },
);

test('MemoryStore snippet: a redelivered check_completion is handled once', async () => {
  const body = JSON.stringify({
    session_id: randomUUID(),
    topic: 'check_completion',
    check_id: randomUUID(),
  });
  for (let i = 0; i < 3; i++) {
    await request(memoryApp)
      .post('/yoti/idv')
      .set('Authorization', auth)
      .type('json')
      .send(body)
      .expect(200);
  }
  expect(fetched).toEqual([JSON.parse(body).check_id]);
});

test('the README key example leaves the in-branch request topics to every delivery', () => {
  const key = (n: Notification) =>
    'topic' in n && n.topic.endsWith('_requested') ? undefined : defaultDeduplicationKey(n);
  const n = (topic: string) => ({ session_id: 's', topic }) as unknown as Notification;
  expect(key(n('instructions_email_requested'))).toBeUndefined();
  expect(key(n('thank_you_email_requested'))).toBeUndefined();
  expect(key(n('session_completion'))).toBe('idv:s:session_completion');
});

describeWithRedis('RedisStore snippet', () => {
  let info: jest.SpyInstance;
  beforeAll(async () => {
    await redis.connect();
  });
  afterAll(async () => {
    await redis.quit();
  });
  beforeEach(() => {
    info = jest.spyOn(console, 'info').mockImplementation(() => undefined);
  });
  afterEach(() => info.mockRestore());

  test('a redelivered session_completion is handled once and logged as a redelivery', async () => {
    const session_id = randomUUID();
    const body = JSON.stringify({ session_id, topic: 'session_completion' });
    for (let i = 0; i < 2; i++) {
      await request(redisApp)
        .post('/yoti/idv')
        .set('Authorization', auth)
        .type('json')
        .send(body)
        .expect(200);
    }
    expect(completed).toEqual([session_id]);
    expect(info).toHaveBeenCalledWith(
      'redelivery acknowledged:',
      `idv:${session_id}:session_completion`,
    );
    await redis.del(`myapp:yoti:idv:${session_id}:session_completion`);
  });
});
