// Starts the example app on 127.0.0.1, sends it one notification of each kind with the
// package's command line, prints what the handlers received, and exits 0 if all went well.
const { execFile } = require('node:child_process');
const path = require('node:path');
const { createApp, EXAMPLE_PUBLIC_KEY } = require('./app');
const { createInbox, createReceiver, startWorker } = require('./inbox-app');

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

const SENDS = (origin) => [
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

/** Prints the command as typed, without the secret, and its output. */
function show(args, auth, result) {
  const shown = args.map((arg) => (arg === PRIVATE_KEY ? path.relative(process.cwd(), arg) : arg));
  console.log(`$ express-yoti-notifications ${shown.join(' ')}${auth.length ? ' --auth …' : ''}`);
  process.stdout.write(result.stdout.replace(/^> .*\n/gm, ''));
  process.stderr.write(result.stderr);
}

async function listen(app) {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve, reject) => server.once('listening', resolve).once('error', reject));
  return server;
}

async function close(server) {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/**
 * The same two notifications through an inbox: 200 once stored, then handled by a worker;
 * session_completion fails once and is retried. Resolves with the number of failures.
 */
async function inboxExample() {
  const {
    engine,
    inbox,
    ready,
    close: closeInbox,
  } = createInbox(`example-${process.pid}-${Date.now()}`);
  await ready();
  console.log(`== Acknowledge fast, handle later: the inbox on ${engine}\n`);
  const handled = [];
  const worker = startWorker(inbox, {
    onHandled: (kind, notification, attempt) => handled.push({ kind, notification, attempt }),
    onFailed: ({ attempt, willRetry, error }) =>
      console.log(
        `worker: run ${attempt} failed (${error.message})${willRetry ? ', retried' : ''}`,
      ),
  });
  const server = await listen(
    createReceiver(inbox, { idvToken: IDV_TOKEN, publicKey: EXAMPLE_PUBLIC_KEY }),
  );
  const origin = `http://127.0.0.1:${server.address().port}`;
  let failures = 0;
  try {
    for (const { args, auth } of SENDS(origin)) {
      const result = await cli([...args, ...auth]);
      show(args, auth, result);
      if (result.code !== 0) failures += 1;
    }
    // The worker runs in the background: wait for both, at most 30 s.
    const deadline = Date.now() + 30_000;
    while (handled.length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const { kind, notification, attempt } of handled) {
      console.log(`worker handled (${kind}, run ${attempt}):`, notification);
    }
    const kinds = handled.map(({ kind, attempt }) => `${kind}#${attempt}`).sort();
    if (kinds.join(',') !== 'age COMPLETE#1,session_completion#2') {
      failures += 1;
      console.error('FAILED: expected age COMPLETE on run 1 and session_completion on run 2');
    }
  } finally {
    await close(server);
    await worker.close();
    await closeInbox();
  }
  console.log();
  return failures;
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
  failures += await inboxExample();
  console.log(failures === 0 ? 'All notifications delivered.' : `${failures} delivery failed.`);
  process.exitCode = failures === 0 ? 0 : 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
