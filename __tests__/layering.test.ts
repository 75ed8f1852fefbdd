// lib/core is framework-free: the lint configuration refuses an Express import there.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');

function lint(code: string, filePath: string): { status: number | null; output: string } {
  const result = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules', 'eslint', 'bin', 'eslint.js'),
      '--stdin',
      '--stdin-filename',
      filePath,
    ],
    { cwd: root, input: code, encoding: 'utf8' },
  );
  return { status: result.status, output: result.stdout + result.stderr };
}

test('ESLint refuses an express import in lib/core and allows it in lib/express', () => {
  const code = "import type { Request } from 'express';\nexport type R = Request;\n";
  const core = lint(code, 'lib/core/some-file.ts');
  expect(core.status).toBe(1);
  expect(core.output).toMatch(/no-restricted-imports/);
  expect(lint(code, 'lib/express/some-file.ts').status).toBe(0);
}, 60_000);

test('no file in lib/core imports express or the layers above it', () => {
  for (const file of readdirSync(join(root, 'lib', 'core'))) {
    const source = readFileSync(join(root, 'lib', 'core', file), 'utf8');
    expect(source).not.toMatch(/from '(express|\.\.\/(express|testing|cli)\b)/);
  }
});

test('the main entry loads none of the optional peers (yoti, bullmq, pg-boss, PGlite)', () => {
  // On the compiled package, as users load it; `npm test` builds first.
  const script = `
    require(${JSON.stringify(join(root, 'dist', 'index.js'))});
    require(${JSON.stringify(join(root, 'dist', 'yoti', 'index.js'))});
    const loaded = Object.keys(require.cache).filter((f) => /node_modules[\\\\/](yoti|bullmq|pg-boss|@electric-sql)[\\\\/]/.test(f));
    process.stdout.write(JSON.stringify(loaded));`;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  expect(result.status).toBe(0);
  expect(JSON.parse(result.stdout)).toEqual([]);
});

test('the pg-boss entry loads pg-boss, and PGlite only for an inbox on PGlite', () => {
  const entry = JSON.stringify(join(root, 'dist', 'pg-boss', 'index.js'));
  const script = (make: string) => `
    const { PgBossInbox } = require(${entry});
    ${make}
    const loaded = (name) => Object.keys(require.cache).some((f) => f.includes(name));
    process.stdout.write(JSON.stringify([loaded('pg-boss'), loaded('@electric-sql')]));
    process.exit(0);`;
  const run = (make: string) => {
    const result = spawnSync(process.execPath, ['-e', script(make)], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    return JSON.parse(result.stdout) as [boolean, boolean];
  };
  expect(run("new PgBossInbox({ connectionString: 'postgres://127.0.0.1:1/x' });")).toEqual([
    true,
    false,
  ]);
  expect(run("new PgBossInbox({ pglite: ':memory:' });")).toEqual([true, true]);
});
