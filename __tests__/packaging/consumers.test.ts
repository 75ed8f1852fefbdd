// Installs the packed tarball into a fresh project, as a user would, and uses it from
// CommonJS, ESM and strict TypeScript, under plain Jest and node:test, and through its bin.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec, ok, packInto, PACKAGE_ROOT, writeFolder } from '../support/pack';
import type { PackResult } from '../support/pack';

const EXAMPLES = join(PACKAGE_ROOT, 'examples');
const example = (path: string) => readFileSync(join(EXAMPLES, path), 'utf8');

let root: string;
let pack: PackResult;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'eyn-consumers-'));
  const packed = await packInto(root);
  pack = packed;
  writeFileSync(
    join(root, 'package.json'),
    JSON.stringify({ name: 'consumers', private: true }, null, 2) + '\n',
  );
  // One install for every consumer folder below: they resolve packages from here.
  ok(
    await exec(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--loglevel=error',
        packed.tarball,
        'express',
        'supertest',
        'jest',
        '@babel/plugin-transform-modules-commonjs',
        'typescript@~6.0.3',
        '@types/express',
        '@types/supertest',
        // For the README's inbox, pg-boss transaction and session-fetcher snippets.
        'bullmq',
        'ioredis',
        // ioredis 6.1's declarations import redis-errors, which ships no types: what a strict
        // consumer without skipLibCheck adds (docs/inbox.md says so).
        '@types/redis-errors',
        'pg',
        '@types/pg',
        'yoti',
      ],
      { cwd: root, timeoutMs: 150_000 },
    ),
    'npm install',
  );
}, 170_000);

afterAll(() => {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

test('the tarball holds package.json, dist, the README, LICENSE, CHANGELOG and the Yoti key only', () => {
  const paths = pack.files.map((file) => file.path).sort();
  const allowed = new Set([
    'package.json',
    'README.md',
    'LICENSE',
    'CHANGELOG.md',
    'keys/yoti-age-verification-public-key.pem',
  ]);
  expect(paths.filter((path) => !allowed.has(path) && !path.startsWith('dist/'))).toEqual([]);
  for (const required of [
    ...allowed,
    'dist/index.js',
    'dist/index.d.ts',
    'dist/testing/index.js',
    'dist/testing/index.d.ts',
    'dist/cli/main.js',
  ]) {
    expect(paths).toContain(required);
  }
  // Compiled output only: no sources, no source maps.
  expect(paths.filter((path) => /\.map$|(?<!\.d)\.ts$/.test(path))).toEqual([]);
  const bin = readFileSync(
    join(root, 'node_modules', 'express-yoti-notifications', 'dist', 'cli', 'main.js'),
    'utf8',
  );
  expect(bin.startsWith('#!/usr/bin/env node\n')).toBe(true);
});

test('CommonJS: require() of both entries, under node:test', async () => {
  const dir = writeFolder(root, 'cjs', { type: 'commonjs' }, { 'consumer.test.js': CJS_TEST });
  const run = await exec(process.execPath, ['--test', '--test-reporter=tap', 'consumer.test.js'], {
    cwd: dir,
  });
  expect(run.stdout).toMatch(/^# pass 3$/m);
  expect(run.code).toBe(0);
}, 60_000);

test('ESM: import of both entries, under node:test (the README example included)', async () => {
  const dir = writeFolder(
    root,
    'esm',
    { type: 'module' },
    {
      'exports.test.js': ESM_TEST,
      'notifications.test.mjs': example('node-test/notifications.test.mjs'),
    },
  );
  const run = await exec(
    process.execPath,
    ['--test', '--test-reporter=tap', 'exports.test.js', 'notifications.test.mjs'],
    { cwd: dir },
  );
  expect(run.stdout).toMatch(/^# pass 3$/m);
  expect(run.code).toBe(0);
}, 60_000);

test.each(['commonjs', 'module'])(
  'plain Jest runs the README example with the documented configuration (type: %s)',
  async (type) => {
    const dir = writeFolder(
      root,
      `jest-${type}`,
      { type },
      {
        'jest.config.cjs': example('jest/jest.config.cjs'),
        'notifications.test.js': example('jest/notifications.test.js'),
      },
    );
    const run = await exec(
      process.execPath,
      [
        join(root, 'node_modules', 'jest', 'bin', 'jest.js'),
        '--ci',
        `--cacheDirectory=${join(root, '.jest-cache')}`,
      ],
      { cwd: dir },
    );
    expect(run.stderr).toMatch(/Tests: {7}4 passed, 4 total/);
    expect(run.code).toBe(0);
  },
  90_000,
);

test('TypeScript (strict, NodeNext, no skipLibCheck): ESM and CommonJS consumers type-check', async () => {
  const dir = writeFolder(
    root,
    'ts',
    { type: 'commonjs' },
    {
      'tsconfig.json': JSON.stringify({
        compilerOptions: { strict: true, module: 'NodeNext', target: 'ES2022', noEmit: true },
        files: ['consumer.mts', 'consumer.cts'],
      }),
      'consumer.mts': TS_ESM,
      'consumer.cts': TS_CJS,
    },
  );
  await expectTscClean(dir);
}, 90_000);

// The README's TypeScript snippets, each as it stands, in a fresh ESM (.mts) and CommonJS
// (.cts) consumer under strict NodeNext. A snippet that is a fragment of an app uses names the
// app defines (`app`, `grantAccess`…): the few it does not define itself are declared for it.
const APP_NAMES: Record<string, string> = {
  app: "declare const app: import('express').Express;",
  grantAccess: 'declare function grantAccess(sessionKey: string): Promise<void>;',
  recordFailure: 'declare function recordFailure(sessionKey: string, evidenceId: string): void;',
  handler:
    "declare const handler: import('express-yoti-notifications').NotificationHandler<import('express-yoti-notifications').IdvNotification>;",
  log: 'declare function log(message: string): void;',
};

function readmeSnippets(): string[] {
  const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => {
    const code = match[1]!;
    const declared = Object.entries(APP_NAMES)
      .filter(([name]) => new RegExp(`\\b${name}\\b`).test(code))
      .filter(
        ([name]) =>
          !new RegExp(`(const|let|function|import[^;]*)\\s+\\{?[^;]*\\b${name}\\b`).test(code),
      )
      .map(([, declaration]) => declaration);
    return [...declared, code].join('\n');
  });
}

test('every TypeScript snippet of the README type-checks under strict, as ESM and as CommonJS', async () => {
  const snippets = readmeSnippets();
  expect(snippets.length).toBeGreaterThanOrEqual(8);
  const files: Record<string, string> = {};
  snippets.forEach((code, i) => {
    files[`snippet-${i}.mts`] = code;
    files[`snippet-${i}.cts`] = code;
  });
  const dir = writeFolder(
    root,
    'readme-ts',
    { type: 'commonjs' },
    {
      ...files,
      'tsconfig.json': JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'NodeNext',
          target: 'ES2022',
          outDir: 'out',
          types: ['node'],
        },
        include: ['*.mts', '*.cts'],
      }),
    },
  );
  await expectTscClean(dir);
  // The Quick start, compiled both ways, serves a notification.
  for (const file of ['out/snippet-0.mjs', 'out/snippet-0.cjs']) {
    const served = await serveOnce(dir, file);
    expect({ file, status: served.status, log: served.log }).toEqual({
      file,
      status: 200,
      log: expect.stringContaining('session completed'),
    });
  }
}, 120_000);

/** Runs a compiled Quick start on a free port, sends it one IDV notification, then ends it. */
async function serveOnce(dir: string, file: string): Promise<{ status: number; log: string }> {
  const { spawn } = await import('node:child_process');
  const port = await freePort();
  const child = spawn(process.execPath, [file], {
    cwd: dir,
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  try {
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/yoti/idv`, {
          method: 'POST',
          headers: {
            authorization: 'Basic ' + Buffer.from('yoti:change-me').toString('base64'),
            'content-type': 'application/json',
          },
          body: JSON.stringify({ session_id: 's-1', topic: 'session_completion' }),
        });
        // The handler logs before the answer; the pipe may carry the line a moment later.
        while (!log.includes('session completed') && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        return { status: res.status, log };
      } catch (error) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`${file}: ${log}`, { cause: error });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    child.kill('SIGKILL');
  }
}

/** A loopback port nothing listens on, from the system. */
async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs the consumers' TypeScript on `dir`'s tsconfig.json and expects no output at all. */
async function expectTscClean(dir: string): Promise<void> {
  const run = await exec(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
    { cwd: dir },
  );
  expect(run.stdout + run.stderr).toBe('');
  expect(run.code).toBe(0);
}

test('the bin runs through npx', async () => {
  const help = await exec('npx', ['--no-install', 'express-yoti-notifications', '--help'], {
    cwd: root,
  });
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^Usage: express-yoti-notifications <command>/);
  const version = await exec('npx', ['--no-install', 'express-yoti-notifications', '--version'], {
    cwd: root,
  });
  const manifest = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8'));
  expect(version.stdout).toBe(`${manifest.version}\n`);
  const wrong = await exec(
    'npx',
    ['--no-install', 'express-yoti-notifications', 'send', 'not a url', '--topic', 'x'],
    {
      cwd: root,
    },
  );
  expect(wrong.code).toBe(2);
}, 60_000);

const CJS_TEST = `
const assert = require('node:assert/strict');
const { test } = require('node:test');
const express = require('express');
const main = require('express-yoti-notifications');
const kit = require('express-yoti-notifications/testing');

test('both entries load, and only the exported paths resolve', () => {
  for (const name of ['rawBody', 'authHeader', 'parseIdvNotification', 'verifySignature',
    'topicRouter', 'stateRouter', 'idvNotifications', 'ageVerificationNotifications',
    'idvNotificationConfig', 'createNotificationToken', 'NotificationError']) {
    assert.equal(typeof main[name], 'function', name);
  }
  assert.match(main.YOTI_AGE_VERIFICATION_PUBLIC_KEY, /^-----BEGIN PUBLIC KEY-----/);
  for (const name of ['mockIdvNotification', 'mockAgeVerificationNotification',
    'createTestSigner', 'authorizationHeader', 'deliver']) {
    assert.equal(typeof kit[name], 'function', name);
  }
  assert.equal(require('express-yoti-notifications/package.json').name, 'express-yoti-notifications');
  assert.throws(() => require('express-yoti-notifications/dist/core/errors'), {
    code: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
  });
});

test("the default key is Yoti's, read from the installed package", () => {
  assert.equal(main.ageVerificationNotifications({ handlers: {} }).length, 3);
});

test('IDV and age verification notifications delivered with the kit', async () => {
  const signer = await kit.createTestSigner({ modulusLength: 2048 });
  const received = [];
  const auth = { scheme: 'bearer', token: 't0ken' };
  const app = express();
  app.use('/idv', main.idvNotifications({
    auth, handlers: { task_completion: (req) => received.push(req.notification) },
  }));
  app.use('/age', main.ageVerificationNotifications({
    publicKey: signer.publicKey, handlers: { COMPLETE: (req) => received.push(req.notification) },
  }));
  const idv = kit.mockIdvNotification('task_completion');
  await kit.deliver(app, '/idv', idv, { auth }).expect(200);
  const age = signer.sign(kit.mockAgeVerificationNotification());
  await kit.deliver(app, '/age', age).expect(200);
  assert.deepEqual(received, [idv, age]);
  const refused = await kit.deliver(app, '/idv', idv, { auth: { ...auth, token: 'nope' } });
  assert.equal(refused.status, 401);
  assert.match(refused.headers['www-authenticate'], /^Bearer /);
});
`;

const ESM_TEST = `
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import defaultMain, * as main from 'express-yoti-notifications';
import * as kit from 'express-yoti-notifications/testing';
import { idvNotifications } from 'express-yoti-notifications';
import { mockIdvNotification, deliver } from 'express-yoti-notifications/testing';
import express from 'express';

const require = createRequire(import.meta.url);

test('every CommonJS export is importable by name', () => {
  for (const [specifier, namespace] of [
    ['express-yoti-notifications', main],
    ['express-yoti-notifications/testing', kit],
  ]) {
    const exported = Object.keys(require(specifier));
    assert.ok(exported.length > 4, specifier);
    for (const name of exported) assert.equal(namespace[name], require(specifier)[name], name);
  }
  assert.equal(defaultMain, require('express-yoti-notifications'));
});

test('named imports work end to end', async () => {
  const app = express();
  const auth = { scheme: 'basic', token: 'user:pass' };
  app.use('/idv', idvNotifications({ auth, handlers: {} }));
  await deliver(app, '/idv', mockIdvNotification('session_completion'), { auth }).expect(200);
});
`;

const TS_ESM = `
import express from 'express';
import {
  ageVerificationNotifications,
  idvNotifications,
  NotificationError,
  stateRouter,
  type CheckCompletionNotification,
  type IdvNotificationOf,
} from 'express-yoti-notifications';
import {
  authorizationHeader,
  createTestSigner,
  deliver,
  mockAgeVerificationNotification,
  mockIdvNotification,
  type TestSigner,
} from 'express-yoti-notifications/testing';

const signer: TestSigner = await createTestSigner({ modulusLength: 2048 });
const app = express();
app.use(
  '/idv',
  idvNotifications({
    auth: { scheme: 'basic', token: 'user:pass' },
    handlers: {
      check_completion: (req) => {
        const id: string = req.notification.check_id;
        return id;
      },
    },
  }),
);
app.use(
  '/age',
  ageVerificationNotifications({
    publicKey: signer.publicKey,
    handlers: { FAIL: (req) => req.notification.session_key },
  }),
);
app.post('/age-by-hand', stateRouter().on('COMPLETE', (req) => req.notification.age));
app.use((err: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
  if (err instanceof NotificationError) res.status(err.status).json({ code: err.code });
  else next(err);
});

const check: CheckCompletionNotification = mockIdvNotification('check_completion');
const task: IdvNotificationOf<'task_completion'> = mockIdvNotification('task_completion', {
  task_id: 'task-1',
});
// @ts-expect-error check_id is a string
mockIdvNotification('check_completion', { check_id: 1 });
const signed = signer.sign(mockAgeVerificationNotification({ state: 'FAIL' }));
const state: 'FAIL' = signed.state;
const signature: string = signed.signature;
const header: string = authorizationHeader({ scheme: 'bearer', token: 't' });
const response = await deliver(app, '/idv', check, {
  auth: { scheme: 'basic', token: 'user:pass' },
}).expect(200);
const status: number = response.status;
export { task, state, signature, header, status };
`;

const TS_CJS = `
import express from 'express';
import { idvNotifications, type IdvNotification } from 'express-yoti-notifications';
import { deliver, mockIdvNotification } from 'express-yoti-notifications/testing';

const app = express();
app.use(
  '/idv',
  idvNotifications({
    auth: { scheme: 'bearer', token: 'token' },
    handlers: { session_completion: (req) => req.notification.session_id },
    onUnknown: (req) => req.notification.topic,
  }),
);
const notification: IdvNotification = mockIdvNotification('resource_update');
export const sent = deliver(app, '/idv', notification, { auth: { scheme: 'bearer', token: 'token' } });
`;
