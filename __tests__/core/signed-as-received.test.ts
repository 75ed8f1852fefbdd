// SPEC §2.2: a handler sees only values that were signed exactly as it sees them. Each case
// takes one genuine notification, signed over its whitespace-stripped text, and inserts
// whitespace by editing the JSON text (no new signature). The stripped text is checked to be
// unchanged by a computation of this file's own, so that under the old rule every variant
// would have verified; the package must refuse each with SIGNATURE_INVALID.
import { constants, createPrivateKey, sign } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { createSignatureVerifier, rawBody, stateRouter, verifySignature } from '../../lib';
import type { Canonicalization } from '../../lib';
import { EXPRESS_VERSIONS, codeErrorHandler } from '../support/express-versions';
import { codeOf, thrown } from '../support/errors';
import { GENERATED_FIELDS, WHITESPACE_CHARACTERS } from '../support/whitespace';

const FIXTURES = path.resolve(__dirname, '../fixtures/age-verification');
const privateKey = createPrivateKey(fs.readFileSync(path.join(FIXTURES, 'rsa-2048-private.pem')));
const publicKey = fs.readFileSync(path.join(FIXTURES, 'rsa-2048-public.pem'), 'utf8');

const WHITESPACE = WHITESPACE_CHARACTERS;
const GENERATED = GENERATED_FIELDS;

const genuine: Record<string, unknown> = {
  method: 'AGE_ESTIMATION',
  result: true,
  age: 30,
  session_key: '69db8ad4-c983-40b3-b95a-a8fa576e70a6',
  reference_id: 'some_reference_id',
  id: '2480375e-ddc0-4832-9b82-b1d14af5cf75',
  timestamp: 1613482863,
  notification_url: 'https://mynotification.example.com',
  evidence_id: 'da4070de-3d34-44d7-86d4-7d6fdf547740',
  state: 'COMPLETE',
  check_type: 'NONE',
  error_code: 'NONE',
  extra: null,
  sequence_number: 1,
};

/** The whitespace-stripped signed text, read straight from SPEC §2.1. */
function strippedText(payload: Record<string, unknown>): string {
  const { sequence_number: _n, signature: _s, ...signed } = payload;
  return JSON.stringify(signed).replace(/\s/g, '');
}

const signature = sign('sha256', Buffer.from(strippedText(genuine), 'utf8'), {
  key: privateKey,
  padding: constants.RSA_PKCS1_PSS_PADDING,
  saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN,
}).toString('base64');
const genuineText = JSON.stringify({ ...genuine, signature });

type Place = 'start' | 'middle' | 'end';
const PLACES: readonly Place[] = ['start', 'middle', 'end'];

function insert(text: string, space: string, place: Place): string {
  if (place === 'start') return space + text;
  if (place === 'end') return text + space;
  const cut = Math.floor(text.length / 2);
  return text.slice(0, cut) + space + text.slice(cut);
}

/** The genuine text with one member's value or name padded, as the JSON text is edited. */
function variant(field: string, where: 'value' | 'key', space: string, place: Place): string {
  const member = JSON.stringify(field) + ':' + JSON.stringify(genuine[field]);
  expect(genuineText).toContain(member);
  const edited =
    where === 'value'
      ? JSON.stringify(field) + ':' + JSON.stringify(insert(String(genuine[field]), space, place))
      : JSON.stringify(insert(field, space, place)) + ':' + JSON.stringify(genuine[field]);
  const text = genuineText.replace(member, edited);
  // Under the old rule this verified: its stripped text is the genuine one's. (Control
  // characters are written as escapes such as \u000b, which no stripping removes: those
  // variants never verified, and are refused all the same.)
  if (JSON.stringify(space).length === 3) {
    expect(strippedText(JSON.parse(text) as Record<string, unknown>)).toBe(strippedText(genuine));
  }
  return text;
}

const stripAll: Canonicalization = (payload) => strippedText({ ...payload });
const SETTINGS: ReadonlyArray<[string, Canonicalization | Canonicalization[]]> = [
  ['strip-whitespace', 'strip-whitespace'],
  ['compact', 'compact'],
  ['[strip-whitespace, compact]', ['strip-whitespace', 'compact']],
  ['[compact, strip-whitespace]', ['compact', 'strip-whitespace']],
  ['a custom function', stripAll],
];

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe.each(SETTINGS)('canonicalization %s', (_name, canonicalization) => {
  const verify = createSignatureVerifier({ publicKey, canonicalization });
  const strips = canonicalization !== 'compact';

  test('the genuine notification verifies (it has no whitespace, so both readings agree)', () => {
    expect(verify(bytes(genuineText)).notification.id).toBe(genuine.id);
  });

  test.each(GENERATED)('whitespace in the value of %s is refused', (field) => {
    for (const space of WHITESPACE) {
      for (const place of PLACES) {
        const error = thrown(() => verify(bytes(variant(field, 'value', space, place))));
        expect(error.code).toBe('SIGNATURE_INVALID');
        expect(error.status).toBe(401);
        if (strips && JSON.stringify(space).length === 3)
          expect(error.message).toContain(`field ${field} `);
        expect(error.message).not.toContain(signature);
      }
    }
  });

  test.each(Object.keys(genuine).filter((k) => k !== 'sequence_number'))(
    'whitespace in the field name %s is refused',
    (field) => {
      for (const space of WHITESPACE) {
        for (const place of PLACES) {
          const error = thrown(() => verify(bytes(variant(field, 'key', space, place))));
          expect(error.code).toBe('SIGNATURE_INVALID');
          if (strips && JSON.stringify(space).length === 3)
            expect(error.message).toContain('field name');
        }
      }
    },
  );
});

describe('what the rule leaves alone', () => {
  const verify = createSignatureVerifier({ publicKey });

  test.each(['reference_id', 'notification_url'])(
    '%s is authenticated only up to whitespace, and kept as received',
    (field) => {
      const text = variant(field, 'value', '\u00a0', 'middle');
      const seen = verify(bytes(text)).notification as unknown as Record<string, unknown>;
      expect(seen[field]).toBe(insert(String(genuine[field]), '\u00a0', 'middle'));
    },
  );

  test('1e400 in place of a signed null verifies but is refused as not finite', () => {
    const text = genuineText.replace('"extra":null', '"extra":1e400');
    expect(strippedText(JSON.parse(text) as Record<string, unknown>)).toBe(strippedText(genuine));
    const error = thrown(() => verify(bytes(text)));
    expect(error.code).toBe('PAYLOAD_INVALID');
    expect(error.status).toBe(400);
    expect((error as unknown as { field: string }).field).toBe('extra');
  });

  test('-1e400 nested in an unknown field is refused too', () => {
    const signedNested = { ...genuine, extra: { deep: [null] } };
    const sig = sign('sha256', Buffer.from(strippedText(signedNested), 'utf8'), {
      key: privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN,
    }).toString('base64');
    const text = JSON.stringify({ ...signedNested, signature: sig }).replace(
      '"deep":[null]',
      '"deep":[-1e400]',
    );
    expect(codeOf(() => verify(bytes(text)))).toBe('PAYLOAD_INVALID');
  });
});

describe.each(EXPRESS_VERSIONS)('through Express %s', (_name, express) => {
  let handled = 0;
  const app = express();
  app.post(
    '/age',
    rawBody(),
    verifySignature({ publicKey, canonicalization: ['strip-whitespace', 'compact'] }),
    stateRouter()
      .on(['COMPLETE', 'FAIL', 'ERROR'], () => {
        handled++;
      })
      .onUnknown(() => {
        handled++;
      }),
  );
  app.use(codeErrorHandler);

  test('every whitespace character in each generated field and in a key: 401, no handler', async () => {
    const texts = GENERATED.flatMap((field) =>
      WHITESPACE.map((space, i) => variant(field, 'value', space, PLACES[i % 3]!)),
    ).concat(WHITESPACE.map((space) => variant('check_type', 'key', space, 'middle')));
    for (const text of texts) {
      const res = await request(app).post('/age').type('json').send(text);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('SIGNATURE_INVALID');
    }
    expect(handled).toBe(0);
    await request(app).post('/age').type('json').send(genuineText).expect(200);
    expect(handled).toBe(1);
  });

  test('1e400: 400 PAYLOAD_INVALID, no handler', async () => {
    const before = handled;
    const res = await request(app)
      .post('/age')
      .type('json')
      .send(genuineText.replace('"extra":null', '"extra":1e400'));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('PAYLOAD_INVALID');
    expect(handled).toBe(before);
  });
});
