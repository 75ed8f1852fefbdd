import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { ageVerificationNotifications } from '../../lib';
import { runCli } from './run-cli';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'eyn-cli-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('help and version', () => {
  test.each([[[]], [['--help']], [['-h']], [['help']]])(
    '%j prints the main usage, exit 0',
    async (args) => {
      const run = await runCli(args);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toMatch(/^Usage: express-yoti-notifications <command>/);
      expect(run.stdout).toContain('send <url>');
      expect(run.stdout).toContain('keygen <dir>');
    },
  );

  test.each([
    [['send', '--help'], /send <url> --topic <topic>/],
    [['send', '-h'], /send <url> --age --key <private\.pem>/],
    [['help', 'send'], /--canonicalization <c>/],
    [['keygen', '--help'], /keygen <dir> \[--bits <n>\] \[--force\]/],
    [['help', 'keygen'], /--force/],
  ])("%j prints that command's usage, exit 0", async (args, pattern) => {
    const run = await runCli(args);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(pattern);
  });

  test('--version prints the package version', async () => {
    const { version } = JSON.parse(
      readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'),
    );
    const run = await runCli(['--version']);
    expect(run).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  test('an unknown command or option: exit 2', async () => {
    const command = await runCli(['post', 'http://127.0.0.1:1']);
    expect(command.code).toBe(2);
    expect(command.stderr).toMatch(/unknown command "post" \(commands: send, keygen, inbox/);
    const option = await runCli(['--verbose']);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/unknown option "--verbose"/);
    const help = await runCli(['help', 'nope']);
    expect(help.code).toBe(2);
  });
});

describe('keygen', () => {
  test('writes a usable key pair that the send command and the verifier agree on', async () => {
    const dir = join(work, 'keys');
    const run = await runCli(['keygen', dir, '--bits', '2048']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(join(dir, 'private.pem'));
    const privatePem = readFileSync(join(dir, 'private.pem'), 'utf8');
    const publicPem = readFileSync(join(dir, 'public.pem'), 'utf8');
    expect(privatePem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(statSync(join(dir, 'private.pem')).mode & 0o777).toBe(0o600);
    const key = createPublicKey(publicPem);
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(createPublicKey(privatePem).export({ format: 'pem', type: 'spki' })).toBe(publicPem);

    const received: string[] = [];
    const app = express();
    app.use(
      '/age',
      ageVerificationNotifications({
        publicKey: publicPem,
        handlers: { COMPLETE: (req) => void received.push(req.notification.id) },
      }),
    );
    const server: Server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const sent = await runCli([
        'send',
        `http://127.0.0.1:${port}/age`,
        '--age',
        '--key',
        join(dir, 'private.pem'),
      ]);
      expect(sent.code).toBe(0);
      expect(received).toHaveLength(1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 30_000);

  test('refuses to overwrite without --force', async () => {
    const dir = join(work, 'existing');
    const first = await runCli(['keygen', dir, '--bits', '2048']);
    expect(first.code).toBe(0);
    rmSync(join(dir, 'private.pem'));
    writeFileSync(join(dir, 'public.pem'), 'kept');
    const again = await runCli(['keygen', dir, '--bits', '2048']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/public\.pem exists \(use --force to overwrite\)/);
    // Nothing was written: no new private key beside the old public one.
    expect(readFileSync(join(dir, 'public.pem'), 'utf8')).toBe('kept');
    expect(() => statSync(join(dir, 'private.pem'))).toThrow();
    const forced = await runCli(['keygen', dir, '--bits', '2048', '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(join(dir, 'public.pem'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  }, 30_000);

  test('bad arguments: exit 2', async () => {
    for (const [args, message] of [
      [['keygen'], /missing <dir>/],
      [['keygen', work, 'other'], /unexpected argument "other"/],
      [['keygen', work, '--bits', '1024'], /at least 2048/],
      [['keygen', work, '--bits', 'many'], /--bits must be a positive integer/],
      [['keygen', work, '--size', '4096'], /unknown option --size/],
    ] as const) {
      const run = await runCli([...args]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
    }
  });
});
