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
      { cwd: root, encoding: 'utf8', timeout: 60_000 },
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
  expect(run.stdout.match(/^< 200 OK$/gm)).toHaveLength(2);
  expect(run.stdout).toMatch(
    /handler received \(session_completion\): \{\n {2}session_id: '[0-9a-f-]{36}',\n {2}topic: 'session_completion'\n\}/,
  );
  expect(run.stdout).toMatch(
    /handler received \(age COMPLETE\): \{\n {2}method: 'AGE_ESTIMATION',/,
  );
  expect(run.stdout).toMatch(/ {2}signature: '[A-Za-z0-9+/=]{512}'\n\}/);
  expect(run.stdout).toMatch(/All notifications delivered\.\n$/);
}, 60_000);
