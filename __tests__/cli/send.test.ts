import { createServer } from 'node:net';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import { ageVerificationNotifications, idvNotifications, rawBody } from '../../lib';
import type { Notification } from '../../lib';
import { codeErrorHandler } from '../support/express-versions';
import { runCli } from './run-cli';

const FIXTURES = join(__dirname, '..', 'fixtures', 'age-verification');
const PRIVATE_3072 = join(FIXTURES, 'rsa-3072-private.pem');
const PRIVATE_2048 = join(FIXTURES, 'rsa-2048-private.pem');
const PUBLIC_3072 = readFileSync(join(FIXTURES, 'rsa-3072-public.pem'), 'utf8');

const received: Array<{ route: string; notification: Notification }> = [];
let server: Server;
let origin: string;

beforeAll(async () => {
  const app = express();
  const record = (route: string) => (req: { notification: Notification }) =>
    void received.push({ route, notification: req.notification });
  const idvHandlers = (route: string) => ({
    session_completion: record(route),
    check_completion: record(route),
  });
  app.use(
    '/idv-basic',
    idvNotifications({
      auth: { scheme: 'basic', token: 'yoti:s3cret' },
      handlers: idvHandlers('basic'),
      onUnknown: record('basic unknown'),
    }),
  );
  app.use(
    '/idv-bearer',
    idvNotifications({
      auth: { scheme: 'bearer', token: 'session-token' },
      handlers: idvHandlers('bearer'),
    }),
  );
  app.use(
    '/age',
    ageVerificationNotifications({
      publicKey: PUBLIC_3072,
      handlers: { COMPLETE: record('age'), FAIL: record('age') },
      onUnknown: record('age unknown'),
    }),
  );
  app.use(
    '/age-compact',
    ageVerificationNotifications({
      publicKey: PUBLIC_3072,
      canonicalization: 'compact',
      handlers: { COMPLETE: record('age compact') },
    }),
  );
  app.post('/busy', (_req, res) => {
    res.status(503).set('Retry-After', '7').json({ code: 'STORE_UNAVAILABLE' });
  });
  app.post('/echo', rawBody(), (req, res) => {
    res.json({ headers: req.headers, body: req.rawBody?.toString('utf8') });
  });
  app.post('/hang', () => {
    // never answers: the command's --timeout must end it
  });
  app.use(codeErrorHandler);
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received.length = 0;
});

describe('send: IDV notifications', () => {
  test('Basic auth: exit 0, prints the 200, the handler gets the notification', async () => {
    const run = await runCli([
      'send',
      `${origin}/idv-basic`,
      '--topic',
      'session_completion',
      '--auth',
      'basic:yoti:s3cret',
      '--session',
      'session-1',
    ]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^< 200 OK$/m);
    expect(run.stdout).toContain(`> POST ${origin}/idv-basic`);
    // The credentials are not printed.
    expect(run.stdout).toMatch(/^> authorization: Basic …$/m);
    expect(run.stdout).not.toContain(Buffer.from('yoti:s3cret').toString('base64'));
    expect(received).toEqual([
      { route: 'basic', notification: { session_id: 'session-1', topic: 'session_completion' } },
    ]);
  });

  test('Bearer auth, an upper-case topic, --field and --header', async () => {
    const run = await runCli([
      'send',
      `${origin}/idv-bearer`,
      '--topic',
      'CHECK_COMPLETION',
      '--auth',
      'Bearer:session-token',
      '--field',
      'check_id=check-9',
      '--field',
      'attempt=2',
      '--header',
      'X-Trace: abc',
    ]);
    expect(run.code).toBe(0);
    expect(received).toHaveLength(1);
    expect(received[0]?.notification).toMatchObject({
      topic: 'check_completion',
      check_id: 'check-9',
      attempt: 2,
    });
  });

  test('an unknown topic is sent as given and acknowledged', async () => {
    const run = await runCli([
      'send',
      `${origin}/idv-basic`,
      '--topic',
      'brand_new',
      '--auth',
      'basic:yoti:s3cret',
    ]);
    expect(run.code).toBe(0);
    expect(received).toEqual([
      { route: 'basic unknown', notification: expect.objectContaining({ topic: 'brand_new' }) },
    ]);
  });

  test('a wrong token: 401 printed with its www-authenticate header and body, exit 1', async () => {
    const run = await runCli([
      'send',
      `${origin}/idv-basic`,
      '--topic',
      'session_completion',
      '--auth',
      'basic:yoti:wrong',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^< 401 Unauthorized$/m);
    expect(run.stdout).toMatch(/^< www-authenticate: Basic realm=/m);
    expect(run.stdout).toMatch(/^< content-type: application\/json/m);
    expect(run.stdout).toContain('"code":"AUTH_INVALID"');
    expect(received).toEqual([]);
  });

  test('no auth at all: 401 AUTH_MISSING, exit 1', async () => {
    const run = await runCli(['send', `${origin}/idv-basic`, '--topic', 'session_completion']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('"code":"AUTH_MISSING"');
  });

  test('a 503 prints retry-after and exits 1', async () => {
    const run = await runCli(['send', `${origin}/busy`, '--topic', 'session_completion']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^< 503 Service Unavailable$/m);
    expect(run.stdout).toMatch(/^< retry-after: 7$/m);
  });

  test('the body is the JSON of the mock, with the content type Yoti uses', async () => {
    const run = await runCli([
      'send',
      `${origin}/echo`,
      '--topic',
      'task_completion',
      '--header',
      'Content-Type: application/json; charset=utf-8',
    ]);
    expect(run.code).toBe(0);
    const echoed = JSON.parse(run.stdout.slice(run.stdout.indexOf('\n{') + 1));
    expect(echoed.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Object.keys(JSON.parse(echoed.body))).toEqual(['session_id', 'task_id', 'topic']);
  });
});

describe('send: age verification notifications', () => {
  test.each(['COMPLETE', 'FAIL'])(
    'state %s, signed with --key, verifies: exit 0',
    async (state) => {
      const run = await runCli([
        'send',
        `${origin}/age`,
        '--age',
        '--state',
        state.toLowerCase(),
        '--key',
        PRIVATE_3072,
        '--session',
        'session-key-1',
        '--reference',
        'order-1',
      ]);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toMatch(/^< 200 OK$/m);
      expect(received).toHaveLength(1);
      expect(received[0]?.route).toBe('age');
      expect(received[0]?.notification).toMatchObject({
        state,
        result: state === 'COMPLETE',
        session_key: 'session-key-1',
        reference_id: 'order-1',
        sequence_number: 1,
      });
    },
  );

  test('another state goes to the fallback', async () => {
    const run = await runCli([
      'send',
      `${origin}/age`,
      '--age',
      '--state',
      'ERROR',
      '--key',
      PRIVATE_3072,
    ]);
    expect(run.code).toBe(0);
    expect(received[0]?.route).toBe('age unknown');
  });

  test('--canonicalization compact matches a compact verifier, not the default one', async () => {
    const args = [
      '--age',
      '--key',
      PRIVATE_3072,
      '--reference',
      'with spaces',
      '--canonicalization',
      'compact',
    ];
    const compact = await runCli(['send', `${origin}/age-compact`, ...args]);
    expect(compact.code).toBe(0);
    expect(received.map((r) => r.route)).toEqual(['age compact']);
    const stripping = await runCli(['send', `${origin}/age`, ...args]);
    expect(stripping.code).toBe(1);
    expect(stripping.stdout).toContain('"code":"SIGNATURE_INVALID"');
  });

  test('a key the server does not trust: 401 SIGNATURE_INVALID, exit 1', async () => {
    const run = await runCli(['send', `${origin}/age`, '--age', '--key', PRIVATE_2048]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^< 401 Unauthorized$/m);
    expect(run.stdout).toContain('"code":"SIGNATURE_INVALID"');
    expect(received).toEqual([]);
  });
});

describe('send: errors are explained on stderr with exit code 2', () => {
  const idv = ['--topic', 'session_completion'];

  async function expectUsageError(args: string[], message: RegExp) {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^express-yoti-notifications: /);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).not.toMatch(/^< /m);
  }

  test('a bad URL', async () => {
    await expectUsageError(
      ['send', 'localhost-3000/yoti', ...idv],
      /invalid URL "localhost-3000\/yoti"/,
    );
    await expectUsageError(['send', 'ftp://127.0.0.1/x', ...idv], /must be http: or https:/);
  });

  test('an unreachable server (a port just closed)', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    await expectUsageError(
      ['send', `http://127.0.0.1:${port}/yoti`, ...idv],
      new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port}: connection refused`),
    );
  });

  test('a server that does not answer within --timeout', async () => {
    await expectUsageError(
      ['send', `${origin}/hang`, ...idv, '--timeout', '300'],
      /no answer from .* within 300 ms/,
    );
  });

  test('a missing or unreadable key file, and --age without --key', async () => {
    await expectUsageError(
      ['send', `${origin}/age`, '--age', '--key', join(FIXTURES, 'no-such-key.pem')],
      /cannot read key file .*no-such-key\.pem: no such file/,
    );
    await expectUsageError(
      ['send', `${origin}/age`, '--age', '--key', join(FIXTURES, 'rsa-3072-public.pem')],
      /is not an RSA private key/,
    );
    await expectUsageError(
      ['send', `${origin}/age`, '--age'],
      /--age needs --key <private\.pem>.*keygen <dir>/,
    );
  });

  test('unknown options, missing values and conflicting ones', async () => {
    await expectUsageError(
      ['send', `${origin}/x`, ...idv, '--verbose'],
      /send: unknown option --verbose \(see "send --help"\)/,
    );
    await expectUsageError(['send', `${origin}/x`, '--topic'], /argument missing/);
    await expectUsageError(['send', `${origin}/x`], /give --topic <topic>.*or --age/);
    await expectUsageError(['send'], /missing <url>/);
    await expectUsageError(['send', `${origin}/x`, 'extra', ...idv], /unexpected argument "extra"/);
    await expectUsageError(['send', `${origin}/x`, ...idv, '--age'], /not both/);
    await expectUsageError(
      ['send', `${origin}/x`, ...idv, '--key', PRIVATE_3072],
      /--key applies to age verification/,
    );
    await expectUsageError(
      ['send', `${origin}/x`, ...idv, '--auth', 'digest:x'],
      /--auth expects basic:/,
    );
    await expectUsageError(
      ['send', `${origin}/x`, ...idv, '--timeout', 'soon'],
      /--timeout must be a positive integer/,
    );
    await expectUsageError(
      ['send', `${origin}/x`, ...idv, '--field', 'novalue'],
      /--field expects name=value/,
    );
    await expectUsageError(
      ['send', `${origin}/x`, ...idv, '--header', 'no colon'],
      /--header expects "Name: value"/,
    );
    await expectUsageError(
      ['send', `${origin}/x`, '--age', '--key', PRIVATE_3072, '--canonicalization', 'pretty'],
      /--canonicalization must be/,
    );
    expect(received).toEqual([]);
  });
});
