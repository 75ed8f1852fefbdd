import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ErrorRequestHandler, Express } from 'express';
import { calculateJwkThumbprint } from 'jose';
import request from 'supertest';
import {
  ageVerificationNotifications,
  canonicalString,
  NotificationError,
  rawBody,
  stateRouter,
  verifySignature,
  YOTI_AGE_VERIFICATION_PUBLIC_KEY,
} from '../../lib';
import type { AgeVerificationNotificationsOptions, SignatureVerifierOptions } from '../../lib';
import { EXPRESS_VERSIONS } from '../support/express-versions';
import {
  docsPayload,
  fixture,
  FIXTURES,
  loadVectors,
  publicPem,
  signBytes,
  signedBody,
} from '../support/sign-age-verification';

const pem3072 = publicPem('rsa-3072');
const pem2048 = publicPem('rsa-2048');
const vectors = loadVectors();
const vector = (name: string) => vectors.find((v) => v.name === name)!;

const codes: ErrorRequestHandler = (err, _req, res, _next) => {
  res.status(err.status ?? 500).json({ code: err.code ?? 'UNEXPECTED' });
};

describe.each(EXPRESS_VERSIONS)('ageVerificationNotifications() on %s', (_name, express) => {
  const seen: string[] = [];
  const options = (extra: Partial<SignatureVerifierOptions & { limit: string | number }> = {}) =>
    ({
      publicKey: pem3072,
      handlers: {
        COMPLETE: (req) => {
          seen.push(`COMPLETE ${req.notification.session_key}`);
        },
        FAIL: (req) => {
          seen.push(`FAIL ${req.notification.state}`);
        },
      },
      onUnknown: (req) => {
        seen.push(`unknown ${req.notification.state}`);
      },
      ...extra,
    }) satisfies AgeVerificationNotificationsOptions;

  function mounted(
    how: 'use' | 'post',
    extra: Partial<SignatureVerifierOptions & { limit: string | number }> = {},
  ) {
    const app = express();
    if (how === 'use') app.use('/yoti/age', ageVerificationNotifications(options(extra)));
    else app.post('/yoti/age', ageVerificationNotifications(options(extra)));
    app.use(codes);
    return app;
  }
  const deliver = (app: Express, body: string) =>
    request(app).post('/yoti/age').type('json').send(body);

  test.each(['use', 'post'] as const)('app.%s(path, preset): routes by state, 200', async (how) => {
    seen.length = 0;
    const app = mounted(how);
    await deliver(app, signedBody(docsPayload({ state: 'COMPLETE', session_key: 'k1' }))).expect(
      200,
    );
    await deliver(app, signedBody(docsPayload({ state: 'FAIL' }))).expect(200);
    await deliver(app, signedBody(docsPayload({ state: 'ERROR' }))).expect(200);
    await deliver(app, signedBody(docsPayload({ state: 'NEW_STATE' }))).expect(200);
    expect(seen).toEqual(['COMPLETE k1', 'FAIL FAIL', 'unknown ERROR', 'unknown NEW_STATE']);
  });

  test.each(['use', 'post'] as const)(
    'app.%s(path, preset): refuses what does not verify',
    async (how) => {
      seen.length = 0;
      const app = mounted(how);
      const forged = signedBody(docsPayload({ state: 'FAIL' })).replace('"FAIL"', '"COMPLETE"');
      const res = await deliver(app, forged);
      expect([res.status, res.body.code]).toEqual([401, 'SIGNATURE_INVALID']);
      const missing = await deliver(app, JSON.stringify(docsPayload()));
      expect([missing.status, missing.body.code]).toEqual([401, 'SIGNATURE_MISSING']);
      const wrongType = await request(app).post('/yoti/age').type('text').send('{}');
      expect([wrongType.status, wrongType.body.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
      expect(seen).toEqual([]);
    },
  );

  test('app.use(path, preset) leaves other paths alone', async () => {
    const app = mounted('use');
    app.post('/other', (_req, res) => {
      res.status(201).end();
    });
    await request(app).post('/other').type('json').send('{}').expect(201);
  });

  test('passes publicKey (rotation) and canonicalization through', async () => {
    const app = mounted('post', {
      publicKey: [pem2048, pem3072],
      canonicalization: ['strip-whitespace', 'compact'],
    });
    for (const v of vectors) {
      const res = await deliver(app, v.body);
      expect([v.name, res.status]).toEqual([v.name, 200]);
    }
  });

  test('passes maxAgeSeconds and now through', async () => {
    const timestamp = 1_763_800_000;
    const app = mounted('post', { maxAgeSeconds: 60, now: () => (timestamp + 61) * 1000 });
    const res = await deliver(app, signedBody(docsPayload({ timestamp })));
    expect([res.status, res.body.code]).toEqual([401, 'NOTIFICATION_EXPIRED']);
    const ok = mounted('post', { maxAgeSeconds: 60, now: () => (timestamp + 59) * 1000 });
    await deliver(ok, signedBody(docsPayload({ timestamp }))).expect(200);
  });

  test('passes limit through: 413 over it, and a raised one admits a 10 MB signature as 401', async () => {
    const small = mounted('post', { limit: 100 });
    const res = await deliver(small, signedBody(docsPayload()));
    expect([res.status, res.body.code]).toEqual([413, 'BODY_TOO_LARGE']);
    const large = mounted('post', { limit: '20mb' });
    const huge = JSON.stringify({ ...docsPayload(), signature: 'A'.repeat(10 * 1024 * 1024) });
    const res2 = await deliver(large, huge);
    expect([res2.status, res2.body.code]).toEqual([401, 'SIGNATURE_INVALID']);
  });

  test('defaults to the pinned Yoti key: test-signed notifications are refused', async () => {
    const app = express();
    app.use('/yoti/age', ageVerificationNotifications({ handlers: {} }));
    app.use(codes);
    const res = await deliver(app, vector('docs-example-strip-whitespace-openssl').body);
    expect([res.status, res.body.code]).toEqual([401, 'SIGNATURE_INVALID']);
  });

  test("a throwing handler → 500 from Express's default error handler", async () => {
    const app = express();
    app.use(
      '/yoti/age',
      ageVerificationNotifications({
        publicKey: pem3072,
        handlers: {
          FAIL: async () => {
            throw new Error('down');
          },
        },
      }),
    );
    await deliver(app, signedBody(docsPayload({ state: 'FAIL' }))).expect(500);
  });
});

describe('ageVerificationNotifications() at setup', () => {
  test.each<[string, unknown]>([
    ['no options', undefined],
    ['no handlers', { publicKey: pem3072 }],
    ['handlers that are not an object', { publicKey: pem3072, handlers: 'COMPLETE' }],
    ['a handler that is not a function', { publicKey: pem3072, handlers: { COMPLETE: 1 } }],
    ['an unreadable key', { publicKey: '-----BEGIN PUBLIC KEY-----', handlers: {} }],
    ['a private key', { publicKey: fixture('rsa-3072-private.pem'), handlers: {} }],
    [
      'a private KeyObject',
      { publicKey: createPrivateKey(fixture('rsa-2048-private.pem')), handlers: {} },
    ],
    ['an EC key', { publicKey: fixture('ec-p256-public.pem'), handlers: {} }],
    ['a bad maxAgeSeconds', { handlers: {}, maxAgeSeconds: 0 }],
    ['a bad canonicalization', { handlers: {}, canonicalization: 'nfc' }],
    ['a bad limit', { handlers: {}, limit: 'lots' }],
  ])('%s → TypeError, synchronously', (_what, options) => {
    expect(() => ageVerificationNotifications(options as never)).toThrow(TypeError);
  });

  test('returns the three middlewares and does not mutate the options', () => {
    const options = Object.freeze({
      publicKey: pem3072,
      handlers: Object.freeze({ COMPLETE: () => undefined, FAIL: undefined }),
    });
    const chain = ageVerificationNotifications(options);
    expect(chain.map((m) => m.name)).toEqual([
      'rawBodyMiddleware',
      'verifySignatureMiddleware',
      'stateRouter',
    ]);
  });
});

// The examples of the README's age verification section, as written there (the import
// path aside); where the README uses Yoti's key, a second run adds the test key, since
// only Yoti can sign for Yoti's key.
describe.each(EXPRESS_VERSIONS)('README examples on %s', (_name, express) => {
  const granted: string[] = [];
  const failed: string[] = [];
  const grantAccess = async (sessionKey: string) => {
    granted.push(sessionKey);
  };
  const recordFailure = (sessionKey: string, evidenceId: string) => {
    failed.push(`${sessionKey}/${evidenceId}`);
  };
  let warn: jest.SpyInstance;
  beforeAll(() => {
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterAll(() => warn.mockRestore());
  beforeEach(() => {
    granted.length = 0;
    failed.length = 0;
    warn.mockClear();
  });
  const deliver = (app: Express, body: string) =>
    request(app).post('/yoti/age').type('json').send(body);

  function presetExample(extra: { publicKey?: string } = {}) {
    const app = express();
    app.use(
      '/yoti/age',
      ageVerificationNotifications({
        ...extra,
        handlers: {
          COMPLETE: async (req) => {
            await grantAccess(req.notification.session_key);
          },
          FAIL: (req) => recordFailure(req.notification.session_key, req.notification.evidence_id),
        },
        onUnknown: (req) =>
          console.warn('age verification state not handled:', req.notification.state),
      }),
    );
    return app;
  }

  function byHandExample(extra: { publicKey?: string } = {}) {
    const app = express();
    app.post(
      '/yoti/age',
      rawBody(),
      verifySignature({ ...extra, canonicalization: ['strip-whitespace', 'compact'] }),
      stateRouter()
        .on('COMPLETE', (req) => grantAccess(req.notification.session_key))
        .on(['FAIL', 'ERROR'], (req) =>
          recordFailure(req.notification.session_key, req.notification.evidence_id),
        )
        .onUnknown((req) =>
          console.warn('age verification state not handled:', req.notification.state),
        ),
    );
    app.use(((err, req, res, next) => {
      if (err instanceof NotificationError) {
        return res
          .status(err.status)
          .set(err.headers ?? {})
          .json({ code: err.code });
      }
      next(err);
    }) as ErrorRequestHandler);
    return app;
  }

  test('the preset example: Yoti key refuses test signatures; with a key, routes by state', async () => {
    const testSigned = signedBody(docsPayload({ state: 'COMPLETE' }));
    await deliver(presetExample(), testSigned).expect(401);
    const app = presetExample({ publicKey: pem3072 });
    await deliver(app, signedBody(docsPayload({ state: 'COMPLETE', session_key: 's1' }))).expect(
      200,
    );
    await deliver(app, signedBody(docsPayload({ state: 'FAIL', evidence_id: 'e1' }))).expect(200);
    await deliver(app, signedBody(docsPayload({ state: 'ERROR' }))).expect(200);
    expect(granted).toEqual(['s1']);
    expect(failed).toEqual(['69db8ad4-c983-40b3-b95a-a8fa576e70a6/e1']);
    expect(warn).toHaveBeenCalledWith('age verification state not handled:', 'ERROR');
  });

  test('the by-hand example and the error handler example', async () => {
    const refused = await deliver(byHandExample(), vector('reference-id-spaces-compact').body);
    expect([refused.status, refused.body]).toEqual([401, { code: 'SIGNATURE_INVALID' }]);
    const app = byHandExample({ publicKey: pem3072 });
    await deliver(app, vector('reference-id-spaces-compact').body).expect(200);
    await deliver(app, vector('reference-id-spaces-strip-whitespace').body).expect(200);
    await deliver(app, signedBody(docsPayload({ state: 'ERROR', evidence_id: 'e2' }))).expect(200);
    await deliver(app, signedBody(docsPayload({ state: 'NEW' }))).expect(200);
    expect(granted).toHaveLength(2);
    expect(failed).toEqual(['69db8ad4-c983-40b3-b95a-a8fa576e70a6/e2']);
    expect(warn).toHaveBeenCalledWith('age verification state not handled:', 'NEW');
    const missing = await deliver(app, JSON.stringify(docsPayload()));
    expect([missing.status, missing.body]).toEqual([401, { code: 'SIGNATURE_MISSING' }]);
  });

  test('the custom canonicalization example (Java and PHP reading)', async () => {
    const app = express();
    app.post(
      '/yoti/age',
      rawBody(),
      verifySignature({
        publicKey: pem3072,
        canonicalization: (payload) => canonicalString(payload, 'compact').replace(/ /g, ''),
      }),
      (req, res) => {
        res.json(req.notificationSignature);
      },
    );
    const payload = docsPayload({ reference_id: 'tab\there, nbsp\u00a0here' });
    const body = JSON.stringify({
      ...payload,
      sequence_number: 1,
      signature: signBytes(canonicalString(payload, 'compact').replace(/ /g, '')),
    });
    const res = await deliver(app, body).expect(200);
    expect(res.body.canonicalization).toBe('custom');
    // The same payload signed with the default reading does not verify here.
    expect((await deliver(app, signedBody(payload))).status).toBe(401);
  });

  test('the rotation example: the new key first, the pinned one kept', async () => {
    const app = express();
    app.post(
      '/yoti/age',
      rawBody(),
      verifySignature({
        publicKey: [
          readFileSync(path.join(FIXTURES, 'rsa-3072-public.pem'), 'utf8'),
          YOTI_AGE_VERIFICATION_PUBLIC_KEY,
        ],
      }),
      (req, res) => {
        res.json(req.notificationSignature);
      },
    );
    const res = await deliver(app, signedBody(docsPayload())).expect(200);
    expect(res.body.keyIndex).toBe(0);
    expect(res.body.keyThumbprint).toBe(
      await calculateJwkThumbprint(JSON.parse(fixture('rsa-3072-public.jwk.json'))),
    );
  });
});
