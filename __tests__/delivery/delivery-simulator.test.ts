import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { constants, createPrivateKey, randomUUID, sign } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { canonicalString, IDV_TOPIC_ID_FIELDS, IDV_TOPICS } from '../../lib';
import { simulateDelivery } from '../support/delivery-simulator';
import type { Delivery } from '../support/delivery-simulator';
import { prng } from '../support/prng';

// Yoti-like delivery of 20,000 notifications to a receiver in its own process, built from
// dist/ (`npm test` builds first): 10% deliberate duplicates, 5% invalid ones, handlers
// that fail 5% of the time. Every valid notification must be handled at least once, no
// invalid one ever, and the receiver must never go down.

const SEED = Number(process.env.DELIVERY_SEED ?? Date.now() % 2 ** 31);
const TOTAL = 20_000;
const DUPLICATES = TOTAL / 10;
const INVALID = TOTAL / 20;
const UNIQUE = TOTAL - DUPLICATES - INVALID;
const BASIC_TOKEN = 'yoti-notifications:s3cr3t-pa55';
const FIXTURES = path.resolve(__dirname, '../fixtures/age-verification');
const SERVER = path.resolve(__dirname, '../support/servers/delivery-server.js');
const DIST = path.resolve(__dirname, '../../dist/index.js');

const random = prng(SEED);
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
const privateKey = createPrivateKey(fs.readFileSync(path.join(FIXTURES, 'rsa-2048-private.pem')));
const basic = (token: string) => 'Basic ' + Buffer.from(token).toString('base64');

function signed(payload: Record<string, unknown>): Record<string, unknown> {
  const bytes = Buffer.from(canonicalString(payload, 'strip-whitespace'), 'utf8');
  const signature = sign('sha256', bytes, {
    key: privateKey,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN,
  }).toString('base64');
  return { ...payload, sequence_number: 1 + Math.floor(random() * 3), signature };
}

function agePayload(id: string): Record<string, unknown> {
  return {
    method: pick(['AGE_ESTIMATION', 'DOC_SCAN', 'DIGITAL_ID']),
    result: true,
    age: 18 + Math.floor(random() * 60),
    session_key: randomUUID(),
    reference_id: `ref ${id.slice(0, 8)}`,
    id,
    timestamp: 1_700_000_000 + Math.floor(random() * 1e7),
    notification_url: 'https://app.example/yoti/age',
    evidence_id: randomUUID(),
    state: pick(['COMPLETE', 'FAIL', 'ERROR', 'SOMETHING_NEW']),
    check_type: 'PASSIVE',
  };
}

function idvPayload(sessionId: string): Record<string, unknown> {
  const topic = pick([...IDV_TOPICS, 'a_topic_added_later']);
  const idField = (IDV_TOPIC_ID_FIELDS as Record<string, string>)[topic];
  return { session_id: sessionId, topic, ...(idField ? { [idField]: randomUUID() } : {}) };
}

interface Planned {
  delivery: Delivery;
  /** The id a handler would record: `session_id` for IDV, `id` for age verification. */
  id: string;
  /** For an invalid delivery, the only status it may get. */
  expect?: number;
}

function validDelivery(): Planned {
  const id = randomUUID();
  if (random() < 0.25) {
    return {
      id,
      delivery: { key: id, path: '/age', body: JSON.stringify(signed(agePayload(id))) },
    };
  }
  return {
    id,
    delivery: {
      key: id,
      path: pick(['/idv/preset', '/idv/chain']),
      body: JSON.stringify(idvPayload(id)),
      headers: { authorization: basic(BASIC_TOKEN) },
    },
  };
}

// Each kind of invalid notification, and the status it must get (never a handler call).
const INVALID_KINDS: ReadonlyArray<(id: string) => Omit<Planned, 'id'>> = [
  (id) => ({
    expect: 401,
    delivery: {
      key: id,
      path: pick(['/idv/preset', '/idv/chain']),
      body: JSON.stringify(idvPayload(id)),
      headers: { authorization: basic('yoti-notifications:wrong') },
    },
  }),
  (id) => ({
    expect: 401,
    delivery: { key: id, path: '/idv/chain', body: JSON.stringify(idvPayload(id)) },
  }),
  (id) => ({
    expect: 400,
    delivery: {
      key: id,
      path: '/idv/preset',
      body: JSON.stringify(idvPayload(id)).slice(0, -1),
      headers: { authorization: basic(BASIC_TOKEN) },
    },
  }),
  (id) => ({
    expect: 400,
    delivery: {
      key: id,
      path: '/idv/chain',
      body: JSON.stringify({ session_id: id, topic: 'check_completion' }),
      headers: { authorization: basic(BASIC_TOKEN) },
    },
  }),
  (id) => {
    // A signed field changed after signing.
    const payload = signed(agePayload(id));
    return {
      expect: 401,
      delivery: {
        key: id,
        path: '/age',
        body: JSON.stringify({ ...payload, age: (payload.age as number) + 1 }),
      },
    };
  },
  (id) => {
    // The signature itself altered: its first character swapped for another.
    const payload = signed(agePayload(id));
    const signature = payload.signature as string;
    const altered = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    return {
      expect: 401,
      delivery: {
        key: id,
        path: '/age',
        body: JSON.stringify({ ...payload, signature: altered }),
      },
    };
  },
  (id) => {
    const { signature: _signature, ...unsigned } = signed(agePayload(id));
    return { expect: 401, delivery: { key: id, path: '/age', body: JSON.stringify(unsigned) } };
  },
  (id) => ({
    expect: 400,
    delivery: { key: id, path: '/age', body: '{"id":"' + id + '","signature":' },
  }),
];

interface Stats {
  pid: number;
  completed: string[];
  reached: string[];
  failures: number;
  requests: number;
}

describe('delivery simulation against the built package in its own process', () => {
  let child: ChildProcess;
  let port: number;
  let pid: number;
  const exits: Array<number | null> = [];

  beforeAll(async () => {
    if (!fs.existsSync(DIST)) throw new Error('dist/ is missing: run `npm run build` first');
    child = fork(SERVER, [], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: {
        ...process.env,
        DELIVERY_SERVER_CONFIG: JSON.stringify({
          seed: SEED,
          failureRate: 0.05,
          basicToken: BASIC_TOKEN,
        }),
      },
    });
    child.on('exit', (code) => exits.push(code));
    ({ port, pid } = await new Promise<{ port: number; pid: number }>((resolve, reject) => {
      child.once('message', (message) => resolve(message as { port: number; pid: number }));
      child.once('exit', (code) => reject(new Error(`receiver exited with ${code}`)));
    }));
  }, 30_000);

  afterAll(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  });

  test('every valid notification is handled, no invalid one ever reaches a handler', async () => {
    console.log(`delivery simulation seed: ${SEED} (set DELIVERY_SEED to replay)`);
    // Everything is signed before the run, so the run measures delivery only.
    const unique: Planned[] = Array.from({ length: UNIQUE }, validDelivery);
    const duplicates: Planned[] = Array.from({ length: DUPLICATES }, () => {
      const original = pick(unique);
      return { id: original.id, delivery: { ...original.delivery } };
    });
    const invalid: Planned[] = Array.from({ length: INVALID }, (_, i) => {
      const id = `invalid-${i}-${randomUUID()}`;
      return { id, ...INVALID_KINDS[i % INVALID_KINDS.length]!(id) };
    });
    const planned = [...unique, ...duplicates, ...invalid];
    for (let i = planned.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [planned[i], planned[j]] = [planned[j]!, planned[i]!];
    }
    expect(planned).toHaveLength(TOTAL);

    const report = await simulateDelivery({
      targets: [`http://127.0.0.1:${port}`],
      deliveries: planned.map((plan) => plan.delivery),
      concurrency: 32,
      maxAttempts: 10,
      backoff: { initialMs: 5, maxMs: 200 },
      requestTimeoutMs: 10_000,
      deadlineMs: 60_000,
      // Yoti redelivers until 200; a 4xx is final here, so that an invalid notification
      // is sent exactly once and its single status can be asserted.
      retryOn: (status) => status >= 500,
      random,
    });
    const stats = await new Promise<Stats>((resolve) => {
      child.once('message', (message) => resolve(message as Stats));
      child.send({ type: 'stats' });
    });

    expect(report.timedOut).toBe(false);
    expect(report.elapsedMs).toBeLessThanOrEqual(60_000);
    expect(exits).toEqual([]);
    expect(stats.pid).toBe(pid);
    expect(child.pid).toBe(pid);
    // The random failures happened, and were retried until handled.
    expect(stats.failures).toBeGreaterThan(0);
    expect(report.statusCounts['500']).toBe(stats.failures);
    expect(report.statusCounts.error ?? 0).toBe(0);
    expect(report.statusCounts.timeout ?? 0).toBe(0);

    const completed = new Set(stats.completed);
    const reached = new Set(stats.reached);
    const undelivered = planned.filter((plan, i) => {
      if (plan.expect !== undefined) return false;
      const outcome = report.outcomes[i]!;
      return (
        !outcome.delivered ||
        !completed.has(plan.id) ||
        outcome.statuses.some((s) => s !== 200 && s !== 500)
      );
    });
    expect(undelivered.map((plan) => plan.id)).toEqual([]);

    const leaked = planned.filter((plan, i) => {
      if (plan.expect === undefined) return false;
      const statuses = report.outcomes[i]!.statuses;
      return reached.has(plan.id) || statuses.length !== 1 || statuses[0] !== plan.expect;
    });
    expect(
      leaked.map((plan) => [plan.id, report.outcomes[planned.indexOf(plan)]!.statuses]),
    ).toEqual([]);
    expect(stats.requests).toBe(
      report.outcomes.reduce((sum, outcome) => sum + outcome.attempts, 0),
    );
    console.log(
      `delivered ${TOTAL} notifications in ${Math.round(report.elapsedMs)} ms: ` +
        JSON.stringify(report.statusCounts),
    );
  }, 120_000);
});
