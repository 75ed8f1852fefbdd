import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root: the package that is packed. */
export const PACKAGE_ROOT = join(__dirname, '..', '..');

/** What a child process printed, and how it ended. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command without a shell and resolves however it ends. `npm_*` variables of an
 * enclosing `npm test` are dropped, so that a nested npm sees only its own project.
 */
export function exec(
  command: string,
  args: readonly string[],
  options: { cwd: string; timeoutMs?: number; env?: Record<string, string> },
): Promise<ExecResult> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^npm_/i.test(name)) env[name] = value;
  }
  Object.assign(env, options.env);
  return new Promise((resolve) => {
    execFile(
      command,
      [...args],
      {
        cwd: options.cwd,
        env,
        encoding: 'utf8',
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 32 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Throws with the output of a failed command, so that a test failure explains itself. */
export function ok(result: ExecResult, what: string): ExecResult {
  if (result.code !== 0) {
    throw new Error(`${what} exited with ${result.code}\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/** One entry of `npm pack --json`. */
export interface PackResult {
  filename: string;
  files: Array<{ path: string; mode: number }>;
}

/** `npm pack` of the built package into `dir`; the caller has run `npm run build`. */
export async function packInto(dir: string): Promise<PackResult & { tarball: string }> {
  const result = ok(
    await exec('npm', ['pack', '--json', '--pack-destination', dir], { cwd: PACKAGE_ROOT }),
    'npm pack',
  );
  const [pack] = JSON.parse(result.stdout) as PackResult[];
  if (pack === undefined) throw new Error(`npm pack printed no result: ${result.stdout}`);
  return { ...pack, tarball: join(dir, pack.filename) };
}

/** A folder of the consumer project with its own package.json and files. */
export function writeFolder(
  root: string,
  name: string,
  packageJson: Record<string, unknown>,
  files: Record<string, string>,
): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify(packageJson, null, 2) + '\n');
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}
