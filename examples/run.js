// Starts the example app on 127.0.0.1, sends it one notification of each kind with the
// package's command line, prints what the handlers received, and exits 0 if all went well.
const { execFile } = require('node:child_process');
const path = require('node:path');
const { createApp, EXAMPLE_PUBLIC_KEY } = require('./app');

const CLI = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
const PRIVATE_KEY = path.join(__dirname, 'keys', 'private.pem');
const IDV_TOKEN = 'yoti:example-password';

/** Runs the CLI; resolves with its exit code and output (the server runs in this process). */
function cli(args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function main() {
  const received = [];
  const app = createApp({
    idvToken: IDV_TOKEN,
    publicKey: EXAMPLE_PUBLIC_KEY,
    onNotification: (kind, notification) => received.push({ kind, notification }),
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const origin = `http://127.0.0.1:${server.address().port}`;

  const sends = [
    {
      expect: 'session_completion',
      args: ['send', `${origin}/yoti/idv`, '--topic', 'session_completion'],
      auth: ['--auth', `basic:${IDV_TOKEN}`],
    },
    {
      expect: 'age COMPLETE',
      args: ['send', `${origin}/yoti/age`, '--age', '--state', 'COMPLETE', '--key', PRIVATE_KEY],
      auth: [],
    },
  ];
  let failures = 0;
  try {
    for (const { expect, args, auth } of sends) {
      const before = received.length;
      const result = await cli([...args, ...auth]);
      const shown = args.map((arg) =>
        arg === PRIVATE_KEY ? path.relative(process.cwd(), arg) : arg,
      );
      console.log(
        `$ express-yoti-notifications ${shown.join(' ')}${auth.length ? ' --auth …' : ''}`,
      );
      process.stdout.write(result.stdout.replace(/^> .*\n/gm, ''));
      process.stderr.write(result.stderr);
      const got = received.slice(before);
      for (const { kind, notification } of got) {
        console.log(`handler received (${kind}):`, notification);
      }
      if (result.code !== 0 || got.length !== 1 || got[0].kind !== expect) {
        failures += 1;
        console.error(`FAILED: expected one "${expect}" notification and exit code 0`);
      }
      console.log();
    }
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  console.log(failures === 0 ? 'All notifications delivered.' : `${failures} delivery failed.`);
  process.exitCode = failures === 0 ? 0 : 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
