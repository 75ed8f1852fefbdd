import { constants, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import type { Request } from 'express';
import { ageVerificationNotifications, rawBody, stateRouter, verifySignature } from '../../lib';
import { announceSeed, checkReply, startHarness, watchUnhandledRejections } from './harness';
import type { Expected, Harness } from './harness';
import {
  fieldValue,
  junkBodies,
  mutateMembers,
  nested,
  PROTOTYPE_NAMES,
  readJson,
  serialise,
} from './bodies';
import type { Members } from './bodies';
import { GENERATED_FIELDS, WHITESPACE_CHARACTERS } from '../support/whitespace';
import { canonicalBase64 } from '../support/base64';

// verifySignature() + stateRouter(), and the ageVerificationNotifications() preset, against
// single-field mutations of validly signed notifications (re-signed or not), tampered
// signatures and hostile bodies. The oracle verifies with node:crypto on its own reading of
// the specification: the handler runs iff the signature verifies and the shape is right.

const FIXTURES = path.resolve(__dirname, '../fixtures/age-verification');
const privateKey = createPrivateKey(fs.readFileSync(path.join(FIXTURES, 'rsa-2048-private.pem')));
const publicPem = fs.readFileSync(path.join(FIXTURES, 'rsa-2048-public.pem'), 'utf8');
const publicKey = createPublicKey(publicPem);
const SIGNATURE_BYTES = 256;
const LIMIT = 64 * 1024;
const NOW = 1_700_000_000;
const MAX_AGE = 3600;

let handled = 0;
let seen: { which: string; json: string; frozen: boolean } | undefined;
let harness: Harness;
watchUnhandledRejections();

const record = (which: string) => (req: Request) => {
  handled++;
  seen = {
    which,
    json: JSON.stringify(req.notification),
    frozen: Object.isFrozen(req.notification),
  };
};

beforeAll(async () => {
  announceSeed('hostile/age-verification');
  harness = await startHarness((app) => {
    const router = () =>
      stateRouter({ extraStates: ['constructor'] })
        .on('COMPLETE', record('COMPLETE'))
        .on(['FAIL', 'ERROR'], record('FAIL/ERROR'))
        .on('constructor', record('constructor'))
        .onUnknown(record('unknown'));
    app.post('/age', rawBody(), verifySignature({ publicKey: publicPem }), router());
    app.post(
      '/fresh',
      rawBody(),
      verifySignature({ publicKey, maxAgeSeconds: MAX_AGE, now: () => NOW * 1000 }),
      router(),
    );
    app.post(
      '/preset',
      ageVerificationNotifications({
        publicKey: publicPem,
        canonicalization: ['strip-whitespace', 'compact'],
        handlers: {
          COMPLETE: record('COMPLETE'),
          FAIL: record('FAIL/ERROR'),
          ERROR: record('FAIL/ERROR'),
        },
        onUnknown: record('unknown'),
      }),
    );
  });
});
afterAll(() => harness.close());

type Style = 'strip-whitespace' | 'compact';

/** The signed string, read straight from the specification (SPEC §2.1). */
function signedString(payload: Record<string, unknown>, style: Style): string {
  const kept = Object.entries(payload).filter(
    ([k]) => k !== 'sequence_number' && k !== 'signature',
  );
  const json = JSON.stringify(Object.fromEntries(kept));
  return style === 'compact' ? json : json.replace(/\s/g, '');
}

function signMembers(members: Members, style: Style): Members {
  const payload = JSON.parse(serialise(members)) as Record<string, unknown>;
  const signature = sign('sha256', Buffer.from(signedString(payload, style), 'utf8'), {
    key: privateKey,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN,
  }).toString('base64');
  const replaced = members.map(([k, v]) => [k, k === 'signature' ? signature : v] as const);
  return replaced.some(([k]) => k === 'signature')
    ? replaced
    : [...replaced, ['signature', signature]];
}

const STATES = ['COMPLETE', 'FAIL', 'ERROR', 'NEW_STATE', ...PROTOTYPE_NAMES];

/** A documented-looking notification, as members in the documented order, unsigned. */
const baseMembers: fc.Arbitrary<Members> = fc
  .record({
    method: fc.constantFrom('AGE_ESTIMATION', 'DOC_SCAN', 'DIGITAL_ID', 'NEW METHOD'),
    result: fc.boolean(),
    age: fc.integer({ min: 0, max: 120 }),
    session_key: fc.uuid(),
    reference_id: fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.constantFrom('a b', ' tab\there ', 'Zo\u00eb\u00a0\u2028'),
    ),
    id: fc.uuid(),
    timestamp: fc.integer({ min: NOW - 2 * MAX_AGE, max: NOW + 2 * MAX_AGE }),
    notification_url: fc.constantFrom(
      'https://app.example/yoti/age',
      'https://app.example/a b?x=<&>',
    ),
    evidence_id: fc.uuid(),
    state: fc.constantFrom(...STATES),
    check_type: fc.constantFrom('NONE', 'PASSIVE', 'ACTIVE', 'SESSION'),
    sequence_number: fc.integer({ min: 1, max: 9 }),
  })
  .map((r) => [...Object.entries(r), ['signature', ''] as const]);

let pool: Members[] = [];
beforeAll(() => {
  // Signed once, before the properties: mutations of these need no new signature.
  pool = fc
    .sample(baseMembers, { numRuns: 40, seed: 7 })
    .map((m, i) => signMembers(m, i % 4 === 3 ? 'compact' : 'strip-whitespace'));
});

/** Ways to damage just the signature. */
function tamperSignature(members: Members): fc.Arbitrary<Members> {
  const signature = members.find(([k]) => k === 'signature')![1] as string;
  const set = (value: unknown) =>
    members.map(([k, v]) => [k, k === 'signature' ? value : v] as const);
  return fc.oneof(
    fc
      .tuple(fc.nat({ max: signature.length - 1 }), fc.constantFrom(...'AZaz09+/=-_ '))
      .map(([i, c]) => set(signature.slice(0, i) + c + signature.slice(i + 1))),
    fc.constant(set(signature.replace(/=+$/, ''))),
    fc.constant(set(signature.slice(0, -4))),
    fc.constant(set(signature + 'AAAA')),
    fc.constant(set(Buffer.alloc(SIGNATURE_BYTES).toString('base64'))),
    fc.constant(set('A'.repeat(100_000))),
    fc.constant(set(signature.replace(/\+/g, '-').replace(/\//g, '_'))),
    fieldValue.map(set),
  );
}

const bodies: fc.Arbitrary<{ body: Buffer; route: string }> = fc
  .tuple(
    fc.constantFrom('/age', '/fresh', '/preset'),
    fc.oneof(
      {
        weight: 2,
        arbitrary: fc.nat().map((i) => ({ kind: 'pool', members: pool[i % pool.length]! })),
      },
      {
        weight: 5,
        arbitrary: fc
          .tuple(fc.nat(), fc.boolean(), fc.constantFrom<Style>('strip-whitespace', 'compact'))
          .chain(([i, resign, style]) =>
            mutateMembers(pool[i % pool.length]!, [
              'signature',
              'sequence_number',
              'error_code',
            ]).map((m) => ({
              kind: 'mutated',
              // Re-signing makes the signature right, so that the shape checks decide.
              members: resign ? signMembers(m, style) : m,
            })),
          ),
      },
      {
        weight: 2,
        arbitrary: fc
          .nat()
          .chain((i) => tamperSignature(pool[i % pool.length]!))
          .map((members) => ({ kind: 'sig', members })),
      },
      {
        weight: 3,
        arbitrary: fc
          .nat()
          .chain((i) => insertWhitespace(pool[i % pool.length]!))
          .map((members) => ({ kind: 'whitespace', members })),
      },
    ),
    fc.constantFrom('compact', 'pretty', 'bom', 'nested', 'junk', 'flip'),
    fc.nat(),
    junkBodies,
  )
  .map(([route, { members }, form, n, junk]) => {
    const text = serialise(members, form === 'pretty');
    if (form === 'bom') return { route, body: Buffer.from('\ufeff' + text) };
    if (form === 'nested')
      return { route, body: Buffer.from(text.slice(0, -1) + `,"x":${nested(1 + (n % 20_000))}}`) };
    if (form === 'junk') return { route, body: junk };
    if (form === 'flip') {
      const body = Buffer.from(text);
      body.writeUInt8(body.readUInt8(n % body.length) ^ (1 << (n % 8)), n % body.length);
      return { route, body };
    }
    return { route, body: Buffer.from(text) };
  });

type FieldType = 'string' | 'integer' | 'boolean';
const FIELDS: ReadonlyArray<readonly [string, FieldType, boolean]> = [
  ['method', 'string', true],
  ['result', 'boolean', false],
  ['age', 'integer', true],
  ['session_key', 'string', true],
  ['reference_id', 'string', false],
  ['id', 'string', true],
  ['timestamp', 'integer', true],
  ['notification_url', 'string', false],
  ['evidence_id', 'string', true],
  ['state', 'string', true],
  ['check_type', 'string', false],
  ['error_code', 'string', false],
  ['sequence_number', 'integer', false],
  ['signature', 'string', true],
];

function shapeIsRight(payload: Record<string, unknown>): boolean {
  return FIELDS.every(([name, type, required]) => {
    if (!Object.hasOwn(payload, name)) return !required;
    const value = payload[name];
    if (type === 'integer') return Number.isSafeInteger(value);
    if (type === 'string') return typeof value === 'string' && (!required || value.length > 0);
    return typeof value === 'boolean';
  });
}

const GENERATED = GENERATED_FIELDS;

function whitespaceKey(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([k, v]) => /\s/.test(k) || whitespaceKey(v));
}

function finite(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (value === null || typeof value !== 'object') return true;
  return Object.values(value).every(finite);
}

/**
 * A genuine notification with whitespace inserted into one key or one string value, at the
 * start, the end or inside, and not signed again: under 'strip-whitespace' it still verifies.
 */
function insertWhitespace(members: Members): fc.Arbitrary<Members> {
  return fc
    .tuple(
      fc.nat({ max: members.length - 1 }),
      fc.boolean(),
      fc.constantFrom(...WHITESPACE_CHARACTERS),
      fc.nat(),
    )
    .map(([i, inKey, space, at]) =>
      members.map(([k, v], j) => {
        if (j !== i) return [k, v] as const;
        const pad = (text: string) => {
          const cut = at % (text.length + 1);
          return text.slice(0, cut) + space + text.slice(cut);
        };
        if (inKey || typeof v !== 'string' || k === 'signature') return [pad(k), v] as const;
        return [k, pad(v)] as const;
      }),
    );
}

function ageOracle(
  body: Buffer,
  route: string,
): { expected: Expected; json?: string; state?: string } {
  const read = readJson(body, LIMIT);
  if ('refused' in read) return { expected: read.refused };
  const payload = read.value;
  const signature = Object.hasOwn(payload, 'signature') ? payload.signature : undefined;
  if (signature === undefined || signature === '')
    return { expected: { status: 401, code: 'SIGNATURE_MISSING' } };
  const invalid = { expected: { status: 401, code: 'SIGNATURE_INVALID' } };
  if (typeof signature !== 'string' || signature.length > 344) return invalid;
  // One spelling per signature: the canonical encoding, padded or not.
  const bytes = canonicalBase64(signature);
  if (bytes === undefined || bytes.length !== SIGNATURE_BYTES) return invalid;
  const styles: Style[] =
    route === '/preset' ? ['strip-whitespace', 'compact'] : ['strip-whitespace'];
  const verifies = styles.some((style) =>
    verify(
      'sha256',
      Buffer.from(signedString(payload, style), 'utf8'),
      {
        key: publicKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: SIGNATURE_BYTES - 34,
      },
      bytes,
    ),
  );
  if (!verifies) return invalid;
  // SPEC §2.2: what the signature cannot vouch for is refused, whatever verified.
  if (
    whitespaceKey(payload) ||
    GENERATED.some((f) => typeof payload[f] === 'string' && /\s/.test(payload[f]))
  )
    return invalid;
  if (!finite(payload)) return { expected: { status: 400, code: 'PAYLOAD_INVALID' } };
  if (!shapeIsRight(payload)) return { expected: { status: 400, code: 'PAYLOAD_INVALID' } };
  if (route === '/fresh' && Math.abs(NOW - (payload.timestamp as number)) > MAX_AGE) {
    return { expected: { status: 401, code: 'NOTIFICATION_EXPIRED' } };
  }
  return {
    expected: { status: 200 },
    json: JSON.stringify(payload),
    state: payload.state as string,
  };
}

function stateHandler(state: string): string {
  if (state === 'COMPLETE') return 'COMPLETE';
  if (state === 'FAIL' || state === 'ERROR') return 'FAIL/ERROR';
  return state === 'constructor' ? 'constructor' : 'unknown';
}

test('verifySignature + stateRouter, and the preset: the handler runs iff signed and well formed', async () => {
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(bodies, async ({ body, route }) => {
      handled = 0;
      seen = undefined;
      const reply = await harness.post(route, { 'content-type': 'application/json' }, body);
      const oracle = ageOracle(body, route);
      checkReply(reply, handled, oracle.expected);
      if (oracle.expected.status === 200) {
        accepted++;
        const which =
          route === '/preset' && oracle.state === 'constructor'
            ? 'unknown'
            : stateHandler(oracle.state!);
        expect(seen).toEqual({ which, json: oracle.json, frozen: true });
      }
    }),
    { numRuns: 2500 },
  );
  // The generator is worth something only if it reaches the handler often enough.
  expect(accepted).toBeGreaterThan(100);
});
