// docs/inbox.md's transaction snippet (examples/snippets/pg-boss-transaction.ts) on a real
// Postgres, with a plain `pg` client: a rolled-back transaction stores no job, a committed one
// stores it and a worker handles it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type * as Snippet from '../../examples/snippets/pg-boss-transaction';
import { jobIdOf } from '../../lib/pg-boss';
import { describeWithPostgres } from '../support/postgres-env';
import { until } from './shared-suite';

test('docs/inbox.md shows the transaction snippet verbatim', () => {
  const root = path.join(__dirname, '..', '..');
  const code = readFileSync(path.join(root, 'examples/snippets/pg-boss-transaction.ts'), 'utf8');
  expect(readFileSync(path.join(root, 'docs', 'inbox.md'), 'utf8')).toContain(
    '```ts\n' + code.trimEnd() + '\n```',
  );
});

describeWithPostgres("docs/inbox.md's pg-boss transaction snippet", () => {
  let snippet: typeof Snippet;
  const session = `s-tx-${process.pid}-${Date.now()}`;
  beforeAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    snippet = require('../../examples/snippets/pg-boss-transaction') as typeof Snippet;
    await snippet.pool.query(
      'CREATE TABLE IF NOT EXISTS yoti_sessions (session_id text PRIMARY KEY)',
    );
  }, 30_000);
  afterAll(async () => {
    await snippet.pool.query('DELETE FROM yoti_sessions WHERE session_id LIKE $1', [`${session}%`]);
    await snippet.inbox.close();
    await snippet.pool.end();
  });
  const jobsOf = async (key: string) =>
    (await snippet.inbox.boss.findJobs(snippet.inbox.queueName, { id: jobIdOf(key) })).length;

  test('rolled back: no job; committed: the job is stored and handled', async () => {
    // The application's row already exists: its INSERT fails after the job was written.
    await snippet.pool.query('INSERT INTO yoti_sessions (session_id) VALUES ($1)', [
      `${session}-taken`,
    ]);
    const taken = { session_id: `${session}-taken`, topic: 'session_completion' } as const;
    await expect(snippet.recordAndEnqueue(taken)).rejects.toMatchObject({ code: '23505' });
    expect(await jobsOf(`idv:${taken.session_id}:session_completion`)).toBe(0);

    const handled: string[] = [];
    const worker = snippet.inbox.work(
      { idv: { session_completion: (n) => void handled.push(n.session_id) } },
      { pollingIntervalSeconds: 0.5 },
    );
    const fresh = { session_id: `${session}-new`, topic: 'session_completion' } as const;
    await snippet.recordAndEnqueue(fresh);
    expect(await jobsOf(`idv:${fresh.session_id}:session_completion`)).toBe(1);
    await until(() => handled.includes(fresh.session_id));
    await worker.close();
    expect(handled.filter((id) => id.startsWith(session))).toEqual([fresh.session_id]);
    const rows = await snippet.pool.query('SELECT 1 FROM yoti_sessions WHERE session_id = $1', [
      fresh.session_id,
    ]);
    expect(rows.rowCount).toBe(1);
  }, 30_000);
});
