import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

function runExample(): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: run "npm run build" first');
  }
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(root, 'examples', 'run.js')],
      // No REDIS_URL or DATABASE_URL: the inbox part runs on PGlite, with no server, as the
      // README's first command does on a fresh machine.
      {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, REDIS_URL: '', DATABASE_URL: '' },
      },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : Number(error.code ?? -1), stdout, stderr });
      },
    );
  });
}

test('npm run example: both notifications are sent with the CLI and handled', async () => {
  const run = await runExample();
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(
    /^\$ express-yoti-notifications send http:\/\/127\.0\.0\.1:\d+\/yoti\/idv --topic session_completion --auth …$/m,
  );
  expect(run.stdout).toMatch(
    /^\$ express-yoti-notifications send http:\/\/127\.0\.0\.1:\d+\/yoti\/age --age --state COMPLETE --key examples\/keys\/private\.pem$/m,
  );
  expect(run.stdout.match(/^< 200 OK$/gm)).toHaveLength(4);
  expect(run.stdout).toMatch(
    /handler received \(session_completion\): \{\n {2}session_id: '[0-9a-f-]{36}',\n {2}topic: 'session_completion'\n\}/,
  );
  expect(run.stdout).toMatch(
    /handler received \(age COMPLETE\): \{\n {2}method: 'AGE_ESTIMATION',/,
  );
  expect(run.stdout).toMatch(/ {2}signature: '[A-Za-z0-9+/=]{512}'\n\}/);
  // The inbox part: both stored (200), then handled by the worker, one after a failed run.
  const inbox = run.stdout.slice(run.stdout.indexOf('== Acknowledge fast, handle later'));
  expect(inbox).toMatch(/^== Acknowledge fast, handle later: the inbox on PGlite \(pg-boss\)/);
  expect(inbox.match(/^< 200 OK$/gm)).toHaveLength(2);
  expect(inbox).toContain('worker: run 1 failed (the session could not be fetched yet), retried\n');
  expect(inbox).toMatch(
    /worker handled \(session_completion, run 2\): \{\n {2}topic: 'session_completion',\n {2}session_id: '[0-9a-f-]{36}'\n\}/,
  );
  expect(inbox).toMatch(/worker handled \(age COMPLETE, run 1\): \{\n {2}id: /);
  expect(run.stdout).toMatch(/All notifications delivered\.\n$/);
}, 60_000);
