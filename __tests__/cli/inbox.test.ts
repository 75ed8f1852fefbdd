// `express-yoti-notifications inbox failed|retry --redis <url> | --postgres <url>`, the built
// command against a BullMQ inbox on a real Redis and a pg-boss inbox on a real Postgres.
import { Redis } from 'ioredis';
import { BullMQInbox } from '../../lib/bullmq';
import { PgBossInbox } from '../../lib/pg-boss';
import { DATABASE_URL, describeWithPostgres } from '../support/postgres-env';
import { mockIdvNotification } from '../../lib/testing';
import { REDIS_URL, describeWithRedis } from '../dedup/redis-env';
import { runCli } from './run-cli';

async function until(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describeWithRedis('inbox failed|retry --redis', () => {
  const queueName = `cli-${process.pid}-${Date.now()}`;
  let connection: Redis;
  let inbox: BullMQInbox;
  beforeAll(() => {
    connection = new Redis(REDIS_URL!, { maxRetriesPerRequest: null });
    inbox = new BullMQInbox({ connection, queueName, attempts: 2, backoff: { delayMs: 5 } });
  });
  afterAll(async () => {
    await inbox.queue.obliterate({ force: true });
    await inbox.close();
    connection.disconnect();
  });

  test('lists a failed notification, then re-runs it by id', async () => {
    let runs = 0;
    let heal = false;
    const worker = inbox.work({
      idv: {
        check_completion: () => {
          runs++;
          if (!heal) throw new Error('the database is down');
        },
      },
    });
    const notification = mockIdvNotification('check_completion');
    const { id } = await inbox.store({
      kind: 'idv',
      key: `idv:${notification.session_id}:check_completion:${notification.check_id}`,
      notification,
      receivedAt: Date.now(),
    });
    await until(async () => (await inbox.failed()).length === 1);

    const listed = await runCli(['inbox', 'failed', '--redis', REDIS_URL!, '--queue', queueName]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).toMatch(/idv {2}check_completion {2}attempts=2 .*"the database is down"/);
    expect(listed.stdout).toContain('1 failed notification\n');

    heal = true;
    const retried = await runCli([
      'inbox',
      'retry',
      '--redis',
      REDIS_URL!,
      '--queue',
      queueName,
      '--id',
      id,
    ]);
    expect(retried).toMatchObject({ code: 0, stdout: '1 notification queued again\n' });
    await until(async () => runs === 3 && (await inbox.failed()).length === 0);
    await worker.close();

    const none = await runCli([
      'inbox',
      'retry',
      '--redis',
      REDIS_URL!,
      '--queue',
      queueName,
      '--id',
      id,
    ]);
    expect(none).toMatchObject({ code: 1, stdout: '0 notifications queued again\n' });
  }, 60_000);
});

describeWithPostgres('inbox failed|retry --postgres', () => {
  const queueName = `cli-${process.pid}-${Date.now()}`;
  let inbox: PgBossInbox;
  beforeAll(() => {
    inbox = new PgBossInbox({
      connectionString: DATABASE_URL!,
      queueName,
      attempts: 2,
      backoff: { delayMs: 0 },
    });
  });
  afterAll(async () => {
    await inbox.close();
  });

  test('lists a failed notification, then re-runs it by the id listed', async () => {
    let runs = 0;
    let heal = false;
    const worker = inbox.work(
      {
        idv: {
          check_completion: () => {
            runs++;
            if (!heal) throw new Error('the database is down');
          },
        },
      },
      { pollingIntervalSeconds: 0.5 },
    );
    const notification = mockIdvNotification('check_completion');
    await inbox.store({
      kind: 'idv',
      key: `idv:${notification.session_id}:check_completion:${notification.check_id}`,
      notification,
      receivedAt: Date.now(),
    });
    await until(async () => (await inbox.failed()).length === 1);
    const [failed] = await inbox.failed();

    const flags = ['--postgres', DATABASE_URL!, '--queue', queueName];
    const listed = await runCli(['inbox', 'failed', ...flags]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(failed!.id);
    expect(listed.stdout).toMatch(/idv {2}check_completion {2}attempts=2 .*"the database is down"/);
    expect(listed.stdout).toContain('1 failed notification\n');

    heal = true;
    const retried = await runCli(['inbox', 'retry', ...flags, '--id', failed!.id]);
    expect(retried).toMatchObject({ code: 0, stdout: '1 notification queued again\n' });
    await until(async () => runs === 3 && (await inbox.failed()).length === 0);
    await worker.close();

    const none = await runCli(['inbox', 'retry', ...flags, '--id', failed!.id]);
    expect(none).toMatchObject({ code: 1, stdout: '0 notifications queued again\n' });
  }, 60_000);
});

test('inbox --postgres, Postgres unreachable: the engine named in the error (exit 2)', async () => {
  const result = await runCli(['inbox', 'failed', '--postgres', 'postgres://x@127.0.0.1:1/x']);
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/inbox: the engine could not be reached \(.*ECONNREFUSED/);
  expect(result.stdout).toBe('');
}, 60_000);

test('inbox: a missing or doubled engine flag, or no action, is a usage error (exit 2)', async () => {
  for (const args of [
    ['inbox', 'failed'],
    ['inbox', 'failed', '--redis', 'redis://127.0.0.1:1', '--postgres', 'postgres://x'],
    ['inbox', 'list', '--redis', 'redis://127.0.0.1:1'],
  ]) {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/inbox: /);
  }
}, 60_000);
