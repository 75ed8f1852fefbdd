import http from 'node:http';
import { createPublicKey, createPrivateKey, webcrypto } from 'node:crypto';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { calculateJwkThumbprint } from 'jose';
import type { JWK } from 'jose';
import request from 'supertest';
import {
  keepRawBody,
  NotificationError,
  rawBody,
  stateRouter,
  verifySignature,
  YOTI_AGE_VERIFICATION_PUBLIC_KEY,
} from '../../lib';
import type { SignatureVerifierOptions } from '../../lib';
import { EXPRESS_VERSIONS } from '../support/express-versions';
import {
  docsPayload,
  fixture,
  loadVectors,
  publicPem,
  signedBody,
} from '../support/sign-age-verification';
import type { Vector } from '../support/sign-age-verification';

const vectors = loadVectors();
const vector = (name: string): Vector => vectors.find((v) => v.name === name)!;
const pem3072 = publicPem('rsa-3072');
const pem2048 = publicPem('rsa-2048');
const jwk3072 = JSON.parse(fixture('rsa-3072-public.jwk.json')) as JWK;

/** Answers with the error's code, field and headers, so tests can assert them. */
const errors: ErrorRequestHandler = (err, _req, res, _next) => {
  res
    .status(err.status ?? 500)
    .set(err.headers ?? {})
    .json({ code: err.code ?? 'UNEXPECTED', field: err.field, message: err.message });
};

/** Answers with what verifySignature() attached. */
const recorder: RequestHandler = (req, res) => {
  res.json({ notification: req.notification, signature: req.notificationSignature });
};

/** Tamper with one field, keeping its JSON type so only the signature can notice. */
function tamper(value: unknown): unknown {
  if (typeof value === 'string') return value + 'x';
  if (typeof value === 'number') return value + 1;
  if (typeof value === 'boolean') return !value;
  if (Array.isArray(value)) return [...value, 0];
  return { ...(value as object), tampered: true };
}

function withField(body: string, field: string, value: unknown): string {
  const payload = JSON.parse(body) as Record<string, unknown>;
  payload[field] = value;
  return JSON.stringify(payload);
}

describe.each(EXPRESS_VERSIONS)('verifySignature() on %s', (_name, express) => {
  let server: http.Server;
  let clock = 0;
  const routed: Array<{ state: string; sessionKey: string; via: string }> = [];

  beforeAll(async () => {
    const der = createPublicKey(pem3072).export({ format: 'der', type: 'spki' });
    const cryptoKey = await webcrypto.subtle.importKey(
      'spki',
      der,
      { name: 'RSA-PSS', hash: 'SHA-256' },
      false,
      ['verify'],
    );
    const app = express();
    const route = (path: string, options: SignatureVerifierOptions, ...rest: RequestHandler[]) =>
      app.post(path, rawBody(), verifySignature(options), ...(rest.length ? rest : [recorder]));
    route('/default', {});
    route('/k3072', { publicKey: pem3072 });
    route('/compact', { publicKey: pem3072, canonicalization: 'compact' });
    route('/rotation', {
      publicKey: [pem2048, pem3072],
      canonicalization: ['compact', 'strip-whitespace'],
    });
    route('/jwk', { publicKey: jwk3072 });
    route('/cert', { publicKey: fixture('rsa-3072-cert.pem') });
    route('/keyobject', { publicKey: createPublicKey(pem3072) });
    route('/cryptokey', { publicKey: cryptoKey });
    route('/fresh', { publicKey: pem3072, maxAgeSeconds: 300, now: () => clock });
    route(
      '/routed',
      { publicKey: pem3072 },
      stateRouter()
        .on('COMPLETE', (req) => {
          const state: 'COMPLETE' = req.notification.state;
          routed.push({ state, sessionKey: req.notification.session_key, via: 'COMPLETE' });
        })
        .on(['FAIL', 'ERROR'], (req) => {
          routed.push({ state: req.notification.state, sessionKey: '', via: 'FAIL|ERROR' });
        })
        .onUnknown((req) => {
          routed.push({ state: req.notification.state, sessionKey: '', via: 'unknown' });
        }),
    );
    app.post(
      '/huge',
      rawBody({ limit: '20mb' }),
      verifySignature({ publicKey: pem3072 }),
      recorder,
    );
    app.post('/no-raw-body', verifySignature({ publicKey: pem3072 }), recorder);
    app.post(
      '/global-json',
      express.json({ verify: keepRawBody }),
      rawBody(),
      verifySignature({ publicKey: pem3072 }),
      recorder,
    );
    app.use(errors);
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const post = (path: string, body: string) => request(server).post(path).type('json').send(body);

  test('a valid notification reaches the handler, typed, and gets 200', async () => {
    routed.length = 0;
    const body = signedBody(docsPayload({ state: 'COMPLETE' }));
    const res = await post('/routed', body);
    expect(res.status).toBe(200);
    expect(routed).toEqual([
      { state: 'COMPLETE', sessionKey: '69db8ad4-c983-40b3-b95a-a8fa576e70a6', via: 'COMPLETE' },
    ]);
  });

  test('req.notification is the payload, unknown extra fields included', async () => {
    const v = vector('extra-unknown-fields-strip-whitespace');
    const res = await post('/k3072', v.body).expect(200);
    expect(res.body.notification).toEqual(JSON.parse(v.body));
    expect(res.body.notification.extra).toEqual({ b: 1, a: [1, 'two', true] });
    expect(res.body.notification.x_vendor_trace).toBe('trace id 9f3c');
  });

  test('an unknown state is acknowledged with 200 and goes to onUnknown', async () => {
    routed.length = 0;
    await post('/routed', signedBody(docsPayload({ state: 'PENDING_REVIEW' }))).expect(200);
    await post('/routed', signedBody(docsPayload({ state: 'ERROR' }))).expect(200);
    expect(routed.map((r) => [r.state, r.via])).toEqual([
      ['PENDING_REVIEW', 'unknown'],
      ['ERROR', 'FAIL|ERROR'],
    ]);
  });

  test('every vector is accepted by a verifier with both keys and both canonicalizations', async () => {
    for (const v of vectors) {
      const res = await post('/rotation', v.body);
      expect([v.name, res.status]).toEqual([v.name, 200]);
      expect(res.body.notification).toEqual(JSON.parse(v.body));
    }
  });

  test('every vector × every signed field changed → 401 SIGNATURE_INVALID', async () => {
    let cases = 0;
    for (const v of vectors) {
      const payload = JSON.parse(v.body) as Record<string, unknown>;
      for (const field of Object.keys(payload)) {
        if (field === 'sequence_number' || field === 'signature') continue;
        const res = await post('/rotation', withField(v.body, field, tamper(payload[field])));
        expect([v.name, field, res.status, res.body.code]).toEqual([
          v.name,
          field,
          401,
          'SIGNATURE_INVALID',
        ]);
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(vectors.length * 10);
  });

  test('a changed sequence_number still verifies (it is not signed): 200', async () => {
    for (const v of [
      vector('docs-example-strip-whitespace-openssl'),
      vector('spaced-body-compact'),
    ]) {
      const res = await post('/rotation', withField(v.body, 'sequence_number', 42)).expect(200);
      expect(res.body.notification.sequence_number).toBe(42);
    }
    const res = await post(
      '/k3072',
      vector('docs-example-sequence-number-7-same-signature').body,
    ).expect(200);
    expect(res.body.notification.sequence_number).toBe(7);
  });

  test.each<[string, unknown, string]>([
    ['absent', undefined, 'SIGNATURE_MISSING'],
    ['empty', '', 'SIGNATURE_MISSING'],
    ['garbage', '###', 'SIGNATURE_INVALID'],
    ['a number', 42, 'SIGNATURE_INVALID'],
    ['null', null, 'SIGNATURE_INVALID'],
    ['an object', { sig: 'x' }, 'SIGNATURE_INVALID'],
    ['an array', ['x'], 'SIGNATURE_INVALID'],
    ['base64 of the wrong length', Buffer.alloc(100).toString('base64'), 'SIGNATURE_INVALID'],
    [
      'a 2048-bit signature',
      JSON.parse(vector('non-ascii-compact').body).signature,
      'SIGNATURE_INVALID',
    ],
  ])('a signature that is %s → 401 %s', async (_what, signature, code) => {
    const body = JSON.stringify({ ...docsPayload(), sequence_number: 1, signature });
    const res = await post('/k3072', body);
    expect([res.status, res.body.code]).toEqual([401, code]);
  });

  test('a 10 MB signature inside a body under a raised limit → 401, not 500', async () => {
    const body = JSON.stringify({
      ...docsPayload(),
      sequence_number: 1,
      signature: 'A'.repeat(10 * 1024 * 1024),
    });
    const res = await post('/huge', body);
    expect([res.status, res.body.code]).toEqual([401, 'SIGNATURE_INVALID']);
    const garbage = body.replace(/"A+"/, JSON.stringify('é!'.repeat(5 * 1024 * 1024)));
    const res2 = await post('/huge', garbage);
    expect([res2.status, res2.body.code]).toEqual([401, 'SIGNATURE_INVALID']);
  });

  test('signature errors carry no WWW-Authenticate (there is no auth scheme to announce)', async () => {
    const missing = await post('/k3072', JSON.stringify(docsPayload()));
    const invalid = await post('/k3072', JSON.stringify({ ...docsPayload(), signature: 'AAAA' }));
    for (const res of [missing, invalid]) {
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBeUndefined();
    }
  });

  test('the 2048-signed vector against the 3072 key → 401 SIGNATURE_INVALID', async () => {
    const res = await post('/k3072', vector('wrong-key-signed-with-rsa-2048').body);
    expect([res.status, res.body.code]).toEqual([401, 'SIGNATURE_INVALID']);
  });

  test('key rotation: any configured key verifies; keyIndex and keyThumbprint say which', async () => {
    const thumbprint = (pem: string) =>
      calculateJwkThumbprint(createPublicKey(pem).export({ format: 'jwk' }) as JWK);
    const by2048 = await post('/rotation', vector('wrong-key-signed-with-rsa-2048').body);
    const by3072 = await post('/rotation', vector('docs-example-strip-whitespace-java').body);
    expect(by2048.body.signature).toMatchObject({
      keyIndex: 0,
      keyThumbprint: await thumbprint(pem2048),
    });
    expect(by3072.body.signature).toMatchObject({
      keyIndex: 1,
      keyThumbprint: await thumbprint(pem3072),
    });
  });

  test('req.notificationSignature.canonicalization says which canonicalization verified', async () => {
    for (const v of vectors) {
      const res = await post('/rotation', v.body).expect(200);
      const compactString = JSON.stringify(
        Object.fromEntries(
          Object.entries(JSON.parse(v.body) as object).filter(
            ([k]) => k !== 'sequence_number' && k !== 'signature',
          ),
        ),
      );
      // 'compact' is tried first, so it wins wherever both strings are the same.
      const expected = compactString === v.signedString ? 'compact' : 'strip-whitespace';
      expect([v.name, res.body.signature.canonicalization]).toEqual([v.name, expected]);
    }
  });

  test('with the default canonicalization, compact-only vectors fail and the rest pass', async () => {
    const spaced = vector('reference-id-spaces-compact');
    expect((await post('/k3072', spaced.body)).body.code).toBe('SIGNATURE_INVALID');
    expect((await post('/compact', spaced.body)).status).toBe(200);
    const stripped = vector('reference-id-spaces-strip-whitespace');
    expect((await post('/compact', stripped.body)).body.code).toBe('SIGNATURE_INVALID');
    const res = await post('/k3072', stripped.body).expect(200);
    expect(res.body.signature.canonicalization).toBe('strip-whitespace');
  });

  test.each(['/jwk', '/cert', '/keyobject', '/cryptokey'])(
    'a key given as %s verifies and refuses like PEM',
    async (path) => {
      const good = vector('non-ascii-escaped-body-strip-whitespace').body;
      const res = await post(path, good).expect(200);
      expect(res.body.signature.keyThumbprint).toBe(await calculateJwkThumbprint(jwk3072));
      const bad = await post(path, vector('wrong-key-signed-with-rsa-2048').body);
      expect([bad.status, bad.body.code]).toEqual([401, 'SIGNATURE_INVALID']);
    },
  );

  test("the docs' example payload with a fake signature → 401 against the default key", async () => {
    for (const signature of ['…', Buffer.alloc(384, 1).toString('base64')]) {
      const res = await post(
        '/default',
        JSON.stringify({ ...docsPayload(), sequence_number: 1, signature }),
      );
      expect([res.status, res.body.code]).toEqual([401, 'SIGNATURE_INVALID']);
    }
    // A notification signed with a test key is not Yoti's either.
    const res = await post('/default', vector('docs-example-strip-whitespace-openssl').body);
    expect([res.status, res.body.code]).toEqual([401, 'SIGNATURE_INVALID']);
  });

  describe('freshness window', () => {
    const timestamp = 1_763_800_000;
    const body = signedBody(docsPayload({ timestamp }));

    test.each([
      [-300, 200],
      [0, 200],
      [299, 200],
      [300, 200],
      [301, 401],
      [-301, 401],
      [86_400, 401],
    ])('now = timestamp %+d s → %d', async (offset, status) => {
      clock = (timestamp + offset) * 1000;
      const res = await post('/fresh', body);
      expect(res.status).toBe(status);
      if (status === 401) expect(res.body.code).toBe('NOTIFICATION_EXPIRED');
    });

    test('off by default: a 2021 timestamp is accepted', async () => {
      const old = vector('docs-example-strip-whitespace-openssl');
      expect(JSON.parse(old.body).timestamp).toBe(1613482863);
      await post('/k3072', old.body).expect(200);
    });
  });

  test('not JSON → 400 PAYLOAD_MALFORMED', async () => {
    const res = await post('/k3072', '{"state":');
    expect([res.status, res.body.code]).toEqual([400, 'PAYLOAD_MALFORMED']);
  });

  test('a signed payload of the wrong shape → 400 PAYLOAD_INVALID naming the field', async () => {
    const res = await post('/k3072', signedBody(docsPayload({ age: '30' })));
    expect([res.status, res.body.code, res.body.field]).toEqual([400, 'PAYLOAD_INVALID', 'age']);
    expect(res.body.message).toContain('age');
    const noState = docsPayload();
    delete noState.state;
    const res2 = await post('/k3072', signedBody(noState));
    expect([res2.status, res2.body.code, res2.body.field]).toEqual([
      400,
      'PAYLOAD_INVALID',
      'state',
    ]);
    const res3 = await post('/k3072', '[1]');
    expect([res3.status, res3.body.code, res3.body.field]).toEqual([400, 'PAYLOAD_INVALID', '']);
  });

  test('without rawBody() first → 500 RAW_BODY_UNAVAILABLE', async () => {
    const res = await post('/no-raw-body', signedBody(docsPayload()));
    expect([res.status, res.body.code]).toEqual([500, 'RAW_BODY_UNAVAILABLE']);
  });

  test('behind a global express.json({ verify: keepRawBody }), the exact bytes are verified', async () => {
    const v = vector('pretty-printed-body-strip-whitespace');
    const res = await post('/global-json', v.body).expect(200);
    expect(res.body.notification).toEqual(JSON.parse(v.body));
  });

  test("Express's default error handler answers with the error's status", async () => {
    const app = express();
    app.post('/', rawBody(), verifySignature({ publicKey: pem3072 }), recorder);
    const res = await request(app)
      .post('/')
      .type('json')
      .send(JSON.stringify({ ...docsPayload(), signature: 'AAAA' }));
    expect(res.status).toBe(401);
  });
});

describe('verifySignature() at setup', () => {
  test.each<[string, unknown]>([
    ['unreadable', 'not a key'],
    ['a private key PEM', fixture('rsa-3072-private.pem')],
    ['a private JWK', createPrivateKey(fixture('rsa-2048-private.pem')).export({ format: 'jwk' })],
    ['a private KeyObject', createPrivateKey(fixture('rsa-2048-private.pem'))],
    ['an EC key', fixture('ec-p256-public.pem')],
    ['an empty list', []],
  ])('a key that is %s → TypeError, synchronously', (_what, publicKey) => {
    expect(() => verifySignature({ publicKey } as SignatureVerifierOptions)).toThrow(TypeError);
  });

  test('bad maxAgeSeconds, now or canonicalization → TypeError', () => {
    expect(() => verifySignature({ maxAgeSeconds: -1 })).toThrow(TypeError);
    expect(() => verifySignature({ maxAgeSeconds: 60, now: 'now' as never })).toThrow(TypeError);
    expect(() => verifySignature({ canonicalization: 'none' as never })).toThrow(TypeError);
  });

  test('no options: the pinned Yoti key', () => {
    expect(() => verifySignature()).not.toThrow();
    expect(() => verifySignature({ publicKey: YOTI_AGE_VERIFICATION_PUBLIC_KEY })).not.toThrow();
  });

  test('the options object is not mutated', () => {
    const options = Object.freeze({
      publicKey: Object.freeze([pem3072]),
      canonicalization: Object.freeze(['compact'] as const),
      maxAgeSeconds: 60,
    });
    expect(() => verifySignature(options as SignatureVerifierOptions)).not.toThrow();
  });

  test('errors are NotificationErrors with stable codes', async () => {
    const express = EXPRESS_VERSIONS[0]![1];
    const app = express();
    let caught: unknown;
    app.post('/', rawBody(), verifySignature({ publicKey: pem3072 }));
    app.use(((err, _req, res, _next) => {
      caught = err;
      res.status(err.status).end();
    }) as ErrorRequestHandler);
    await request(app).post('/').type('json').send('{}').expect(401);
    expect(caught).toBeInstanceOf(NotificationError);
    expect(caught).toMatchObject({ code: 'SIGNATURE_MISSING', status: 401, expose: true });
  });
});
