import { createHmac, generateKeyPairSync } from 'node:crypto';
import type { Request, Response } from 'express';
import type { TokenSource } from '../../lib';
import { SignJWT, UnsecuredJWT } from 'jose';
import request from 'supertest';
import {
  authHeader,
  createNotificationToken,
  idvNotifications,
  parseIdvNotification,
  rawBody,
  topicRouter,
} from '../../lib';
import { appWith, basic, EXPRESS_VERSIONS } from '../support/express-versions';
import { sendRawHeaders, withServer } from '../support/raw-http';

const TOKEN = 'yoti-user:s3cret pässword';
const SECRET = 'a notification secret of 32 bytes at least!';

const whoami = (req: Request, res: Response) => {
  res.json({ auth: req.notificationAuth ?? null });
};

describe.each(EXPRESS_VERSIONS)('authHeader() on %s', (_name, express) => {
  describe('basic', () => {
    const app = appWith(express, [authHeader({ scheme: 'basic', token: TOKEN }), whoami]);

    test('accepts Basic base64(auth_token) and records the candidate index, never the secret', async () => {
      const res = await request(app).post('/hook').set('Authorization', basic(TOKEN)).expect(200);
      expect(res.body.auth).toEqual({ scheme: 'basic', tokenIndex: 0 });
      expect(JSON.stringify(res.body)).not.toContain('s3cret');
    });

    test.each(['basic', 'BASIC', 'bAsIc'])(
      'the scheme name %s is case-insensitive',
      async (scheme) => {
        const value = Buffer.from(TOKEN).toString('base64');
        await request(app).post('/hook').set('Authorization', `${scheme} ${value}`).expect(200);
      },
    );

    test('a missing header is 401 AUTH_MISSING with a Basic challenge', async () => {
      const res = await request(app).post('/hook');
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('AUTH_MISSING');
      expect(res.headers['www-authenticate']).toBe(
        'Basic realm="yoti-notifications", charset="UTF-8"',
      );
    });

    test('another scheme is 401 AUTH_MISSING', async () => {
      const res = await request(app).post('/hook').set('Authorization', `Bearer ${TOKEN}`);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('AUTH_MISSING');
    });

    test.each([
      ['a wrong password', basic('yoti-user:wrong')],
      ['a wrong user', basic('someone:s3cret pässword')],
      ['a prefix of the token', basic(TOKEN.slice(0, -1))],
      ['the token with a suffix', basic(TOKEN + 'x')],
      ['bad base64', 'Basic !!!not-base64!!!'],
      ['base64 without a colon', basic('nocolonhere')],
      ['base64 with a bad length', 'Basic YWJj=='],
      ['an empty value', 'Basic '],
      ['a scheme alone', 'Basic'],
      ['a huge value', 'Basic ' + 'A'.repeat(9000)],
    ])('%s is 401 AUTH_INVALID, never 500', async (_what, header) => {
      const res = await request(app).post('/hook').set('Authorization', header);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('AUTH_INVALID');
      expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/);
      expect(res.body.message).not.toContain('s3cret');
    });

    test("Express's default error handler answers 401 with WWW-Authenticate", async () => {
      const plain = appWith(express, [authHeader({ scheme: 'basic', token: TOKEN }), whoami], {
        codes: false,
      });
      const res = await request(plain).post('/hook').set('Authorization', basic('x:y'));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(
        'Basic realm="yoti-notifications", charset="UTF-8"',
      );
      expect(res.text).not.toContain('s3cret');
    });
  });

  describe('bearer', () => {
    const app = appWith(express, [
      authHeader({ scheme: 'bearer', token: 'opaque-token-123' }),
      whoami,
    ]);

    test('accepts Bearer auth_token', async () => {
      const res = await request(app)
        .post('/hook')
        .set('Authorization', 'Bearer opaque-token-123')
        .expect(200);
      expect(res.body.auth).toEqual({ scheme: 'bearer', tokenIndex: 0 });
    });

    test('a missing header is AUTH_MISSING with a plain Bearer challenge (RFC 6750 §3)', async () => {
      const res = await request(app).post('/hook');
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('AUTH_MISSING');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="yoti-notifications"');
    });

    test.each([
      ['a wrong token', 'Bearer opaque-token-124'],
      ['a prefix', 'Bearer opaque-token-12'],
      ['an empty token', 'Bearer '],
    ])('%s is AUTH_INVALID with error="invalid_token"', async (_what, header) => {
      const res = await request(app).post('/hook').set('Authorization', header);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('AUTH_INVALID');
      expect(res.headers['www-authenticate']).toBe(
        'Bearer realm="yoti-notifications", error="invalid_token"',
      );
    });

    test('a custom realm is used in the challenge', async () => {
      const custom = appWith(express, [
        authHeader({ scheme: 'bearer', token: 't', realm: 'shop' }),
        whoami,
      ]);
      const res = await request(custom).post('/hook');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="shop"');
    });
  });

  describe('rotation and resolvers', () => {
    test('a list of tokens accepts each and says which matched', async () => {
      const app = appWith(express, [
        authHeader({ scheme: 'basic', token: ['old:one', 'new:two'] }),
        whoami,
      ]);
      expect(
        (await request(app).post('/hook').set('Authorization', basic('old:one'))).body.auth
          .tokenIndex,
      ).toBe(0);
      expect(
        (await request(app).post('/hook').set('Authorization', basic('new:two'))).body.auth
          .tokenIndex,
      ).toBe(1);
      expect((await request(app).post('/hook').set('Authorization', basic('new:one'))).status).toBe(
        401,
      );
    });

    test('a sync function of req resolves the token', async () => {
      const app = appWith(express, [
        authHeader({
          scheme: 'bearer',
          token: (req) => (req.headers['x-tenant'] === 'a' ? 'token-a' : 'token-b'),
        }),
        whoami,
      ]);
      await request(app)
        .post('/hook')
        .set('x-tenant', 'a')
        .set('Authorization', 'Bearer token-a')
        .expect(200);
      expect(
        (
          await request(app)
            .post('/hook')
            .set('x-tenant', 'b')
            .set('Authorization', 'Bearer token-a')
        ).status,
      ).toBe(401);
    });

    test('an async per-session resolver after parsing reads req.notification.session_id', async () => {
      const tokens = new Map([
        ['session-1', ['rotated-out', 'fresh-1']],
        ['session-2', ['fresh-2']],
      ]);
      const seen: string[] = [];
      const app = appWith(express, [
        rawBody(),
        parseIdvNotification(),
        authHeader({
          scheme: 'bearer',
          token: async (req) => {
            await new Promise((resolve) => setTimeout(resolve, 1));
            return tokens.get(req.notification!.session_id as string);
          },
        }),
        topicRouter().on('session_completion', (req) => {
          seen.push(`${req.notification.session_id}#${req.notificationAuth!.tokenIndex}`);
        }),
      ]);
      const post = (session: string, token: string) =>
        request(app)
          .post('/hook')
          .set('Authorization', `Bearer ${token}`)
          .type('json')
          .send(JSON.stringify({ session_id: session, topic: 'session_completion' }));
      await post('session-1', 'fresh-1').expect(200);
      await post('session-2', 'fresh-2').expect(200);
      expect((await post('session-2', 'fresh-1')).body.code).toBe('AUTH_INVALID');
      expect((await post('unknown-session', 'fresh-1')).body.code).toBe('AUTH_INVALID');
      expect(seen).toEqual(['session-1#1', 'session-2#0']);
    });

    test('a resolver returning junk matches nothing; one that throws or rejects goes to next(err)', async () => {
      const junk = appWith(express, [
        authHeader({ scheme: 'bearer', token: () => [42, '', null] as never }),
        whoami,
      ]);
      expect((await request(junk).post('/hook').set('Authorization', 'Bearer 42')).body.code).toBe(
        'AUTH_INVALID',
      );
      const throwing = appWith(express, [
        authHeader({
          scheme: 'bearer',
          token: () => {
            throw new Error('token store down');
          },
        }),
        whoami,
      ]);
      expect((await request(throwing).post('/hook').set('Authorization', 'Bearer x')).status).toBe(
        500,
      );
      const rejecting = appWith(express, [
        authHeader({
          scheme: 'bearer',
          token: () => Promise.reject(new Error('token store down')),
        }),
        whoami,
      ]);
      expect((await request(rejecting).post('/hook').set('Authorization', 'Bearer x')).status).toBe(
        500,
      );
    });
  });

  describe('non-ASCII Bearer tokens, sent as raw bytes', () => {
    // Node's HTTP client would re-encode these values: the socket gets the UTF-8 bytes.
    const TOKEN_UTF8 = 'tök€n-✓';
    const forms: Array<[string, TokenSource]> = [
      ['a static token', TOKEN_UTF8],
      ['a list of tokens', ['other-token', TOKEN_UTF8]],
      ['a sync token function', () => TOKEN_UTF8],
      ['an async token function', async () => [TOKEN_UTF8]],
    ];
    const spellings = ['Bearer ', 'bearer ', 'BEARER ', 'Bearer    ', 'bearer \t'];

    test.each(forms)('%s matches however the header spells the scheme', async (_form, token) => {
      const app = appWith(express, [authHeader({ scheme: 'bearer', token }), whoami]);
      await withServer(app, async ({ port }) => {
        for (const prefix of spellings) {
          for (const suffix of ['', ' ', '\t ']) {
            const value = prefix + TOKEN_UTF8 + suffix;
            const res = await sendRawHeaders(port, '/hook', [['Authorization', value]]);
            expect([value, res.status]).toEqual([value, 200]);
            expect(JSON.parse(res.body).auth.scheme).toBe('bearer');
          }
        }
        // Another token, and the same text in Latin-1 bytes, are refused.
        for (const value of [
          Buffer.from('Bearer tök€n-✗', 'utf8'),
          Buffer.from('Bearer tök', 'latin1'),
          // The last character cut in the middle of its UTF-8 bytes.
          Buffer.concat([Buffer.from('Bearer '), Buffer.from(TOKEN_UTF8, 'utf8').subarray(0, -1)]),
        ]) {
          const res = await sendRawHeaders(port, '/hook', [['Authorization', value]]);
          expect(res.status).toBe(401);
          expect(JSON.parse(res.body).code).toBe('AUTH_INVALID');
        }
      });
    });

    test("a token ending in 0xA0 (UTF-8 of 'à') is not trimmed", async () => {
      const app = appWith(express, [authHeader({ scheme: 'bearer', token: 'voilà' }), whoami]);
      await withServer(app, async ({ port }) => {
        const res = await sendRawHeaders(port, '/hook', [['Authorization', 'bearer  voilà']]);
        expect(res.status).toBe(200);
      });
    });
  });

  describe('a token function returning a token that cannot arrive', () => {
    const cases: Array<[string, TokenSource]> = [
      ['sync', () => 'tok\n'],
      ['async', async () => ['tok ', 'x\ty']],
    ];
    test.each(cases)(
      '%s: 401 AUTH_INVALID saying why, never the token, never 500',
      async (_w, token) => {
        const app = appWith(express, [authHeader({ scheme: 'bearer', token }), whoami]);
        const res = await request(app).post('/hook').set('Authorization', 'Bearer tok');
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('AUTH_INVALID');
        expect(res.body.message).toMatch(
          /token function returned an unusable token \(the token ends/,
        );
        expect(res.body.message).not.toContain('tok ');
        expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
      },
    );

    test('a usable token beside an unusable one still matches', async () => {
      const app = appWith(express, [
        authHeader({ scheme: 'bearer', token: () => ['bad\n', 'good'] }),
        whoami,
      ]);
      const res = await request(app).post('/hook').set('Authorization', 'Bearer good').expect(200);
      expect(res.body.auth).toEqual({ scheme: 'bearer', tokenIndex: 1 });
    });
  });

  describe('jwt', () => {
    const app = appWith(express, [
      authHeader({
        scheme: 'bearer',
        jwt: { secret: SECRET, issuer: 'shop', audience: 'yoti-idv' },
      }),
      whoami,
    ]);
    const bearer = (token: string) =>
      request(app).post('/hook').set('Authorization', `Bearer ${token}`);
    // A JWT signed over claims written as given, e.g. a number jose itself would not write.
    const hs256 = (claims: string) => {
      const part = (text: string) => Buffer.from(text).toString('base64url');
      const input = `${part('{"alg":"HS256"}')}.${part(claims)}`;
      return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
    };

    test('a token from createNotificationToken() verifies and exposes its claims', async () => {
      const token = await createNotificationToken({
        secret: SECRET,
        expiresIn: '30d',
        issuer: 'shop',
        audience: 'yoti-idv',
        claims: { sub: 'order-42', tenant: 'eu' },
      });
      const res = await bearer(token).expect(200);
      expect(res.body.auth.scheme).toBe('bearer');
      expect(res.body.auth.claims).toMatchObject({
        sub: 'order-42',
        tenant: 'eu',
        iss: 'shop',
        aud: 'yoti-idv',
      });
      // jose reads the clock again for a span; a second may tick between the two reads.
      expect(res.body.auth.claims.exp - res.body.auth.claims.iat).toBeGreaterThanOrEqual(
        30 * 86400,
      );
      expect(res.body.auth.claims.exp - res.body.auth.claims.iat).toBeLessThanOrEqual(
        30 * 86400 + 1,
      );
    });

    test('a numeric expiresIn is seconds from now', async () => {
      const token = await createNotificationToken({
        secret: SECRET,
        expiresIn: 120,
        issuer: 'shop',
        audience: 'yoti-idv',
      });
      const res = await bearer(token).expect(200);
      expect(res.body.auth.claims.exp - res.body.auth.claims.iat).toBe(120);
    });

    test.each([
      [
        'expired',
        () =>
          new SignJWT({})
            .setProtectedHeader({ alg: 'HS256' })
            .setIssuer('shop')
            .setAudience('yoti-idv')
            .setExpirationTime(Math.floor(Date.now() / 1000) - 10)
            .sign(Buffer.from(SECRET)),
      ],
      [
        'not yet valid',
        () =>
          new SignJWT({})
            .setProtectedHeader({ alg: 'HS256' })
            .setIssuer('shop')
            .setAudience('yoti-idv')
            .setNotBefore('1h')
            .setExpirationTime('2h')
            .sign(Buffer.from(SECRET)),
      ],
      [
        'signed with another secret',
        () =>
          createNotificationToken({
            secret: 'x'.repeat(32),
            expiresIn: '1h',
            issuer: 'shop',
            audience: 'yoti-idv',
          }),
      ],
      [
        'of another issuer',
        () =>
          createNotificationToken({
            secret: SECRET,
            expiresIn: '1h',
            issuer: 'evil',
            audience: 'yoti-idv',
          }),
      ],
      [
        'for another audience',
        () =>
          createNotificationToken({
            secret: SECRET,
            expiresIn: '1h',
            issuer: 'shop',
            audience: 'other',
          }),
      ],
      [
        'alg none',
        async () =>
          new UnsecuredJWT({ iss: 'shop', aud: 'yoti-idv' }).setExpirationTime('1h').encode(),
      ],
      [
        'HS512 outside the allow-list',
        () =>
          new SignJWT({})
            .setProtectedHeader({ alg: 'HS512' })
            .setIssuer('shop')
            .setAudience('yoti-idv')
            .setExpirationTime('1h')
            .sign(Buffer.from(SECRET.repeat(2))),
      ],
      ['garbage', async () => 'not.a.jwt'],
    ])('a token %s is 401 AUTH_INVALID', async (_what, make) => {
      const res = await bearer(await make());
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('AUTH_INVALID');
      expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    });

    test.each([
      ['without exp', '{"iss":"shop","aud":"yoti-idv"}'],
      ['with exp 1e400', '{"iss":"shop","aud":"yoti-idv","exp":1e400}'],
      ['with a string exp', '{"iss":"shop","aud":"yoti-idv","exp":"9999999999"}'],
    ])('a correctly signed token %s is 401 AUTH_INVALID', async (_what, claims) => {
      const res = await bearer(hs256(claims));
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('AUTH_INVALID');
    });

    test('the same hand-made token with a finite exp passes (the helper signs correctly)', async () => {
      const exp = Math.floor(Date.now() / 1000) + 600;
      await bearer(hs256(`{"iss":"shop","aud":"yoti-idv","exp":${exp}}`)).expect(200);
    });

    test('maxTokenAge refuses a token issued too long ago, and one without iat', async () => {
      const capped = appWith(express, [
        authHeader({ scheme: 'bearer', jwt: { secret: SECRET, maxTokenAge: '30d' } }),
        whoami,
      ]);
      const post = (token: string) =>
        request(capped).post('/hook').set('Authorization', `Bearer ${token}`);
      const now = Math.floor(Date.now() / 1000);
      const old = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt(now - 31 * 86400)
        .setExpirationTime(now + 86400)
        .sign(Buffer.from(SECRET));
      expect((await post(old)).body.code).toBe('AUTH_INVALID');
      // Without the cap, the same token passes: exp alone decides.
      const uncapped = appWith(express, [
        authHeader({ scheme: 'bearer', jwt: { secret: SECRET } }),
        whoami,
      ]);
      await request(uncapped).post('/hook').set('Authorization', `Bearer ${old}`).expect(200);
      const noIat = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('1h')
        .sign(Buffer.from(SECRET));
      expect((await post(noIat)).body.code).toBe('AUTH_INVALID');
      const fresh = await createNotificationToken({ secret: SECRET, expiresIn: '7d' });
      await post(fresh).expect(200);
    });

    test('clockTolerance admits a token just past its exp', async () => {
      const tolerant = appWith(express, [
        authHeader({ scheme: 'bearer', jwt: { secret: SECRET, clockTolerance: 60 } }),
        whoami,
      ]);
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime(Math.floor(Date.now() / 1000) - 5)
        .sign(Buffer.from(SECRET));
      await request(tolerant).post('/hook').set('Authorization', `Bearer ${token}`).expect(200);
    });

    test('a key pair: private key signs with its own algorithm, public key verifies', async () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const byKey = appWith(express, [
        authHeader({ scheme: 'bearer', jwt: { publicKey } }),
        whoami,
      ]);
      const token = await createNotificationToken({
        privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
        expiresIn: '1d',
      });
      expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).alg).toBe(
        'ES256',
      );
      await request(byKey).post('/hook').set('Authorization', `Bearer ${token}`).expect(200);
      const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const forged = await createNotificationToken({
        privateKey: other.privateKey,
        expiresIn: '1d',
      });
      expect(
        (await request(byKey).post('/hook').set('Authorization', `Bearer ${forged}`)).body.code,
      ).toBe('AUTH_INVALID');
      const hsWithPublicKey = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('1h')
        .sign(Buffer.from(publicKey.export({ format: 'pem', type: 'spki' })));
      expect(
        (await request(byKey).post('/hook').set('Authorization', `Bearer ${hsWithPublicKey}`)).body
          .code,
      ).toBe('AUTH_INVALID');
    });
  });
});

describe('authHeader() setup errors', () => {
  test.each([
    ['no options', undefined, /scheme/],
    ['an unknown scheme', { scheme: 'digest', token: 'a:b' }, /scheme/],
    ['neither token nor jwt', { scheme: 'bearer' }, /exactly one of token and jwt/],
    [
      'both token and jwt',
      { scheme: 'bearer', token: 't', jwt: { secret: SECRET } },
      /exactly one/,
    ],
    ['an empty token', { scheme: 'bearer', token: '' }, /non-empty string/],
    ['an empty token list', { scheme: 'bearer', token: [] }, /non-empty string/],
    ['an empty token in the list', { scheme: 'bearer', token: ['ok', ''] }, /non-empty string/],
    ['a non-string token', { scheme: 'bearer', token: 42 }, /non-empty string/],
    ['a Basic token without a colon', { scheme: 'basic', token: 'justapassword' }, /no colon/],
    ['jwt with basic', { scheme: 'basic', jwt: { secret: SECRET } }, /jwt needs scheme 'bearer'/],
    ['a JWT secret under 32 bytes', { scheme: 'bearer', jwt: { secret: 'short' } }, /32 bytes/],
    [
      'jwt with both secret and key',
      { scheme: 'bearer', jwt: { secret: SECRET, publicKey: 'x' } },
      /exactly one/,
    ],
    [
      'an unreadable JWT public key',
      { scheme: 'bearer', jwt: { publicKey: 'not a key' } },
      /cannot be read/,
    ],
    [
      'alg none allowed',
      { scheme: 'bearer', jwt: { secret: SECRET, algorithms: ['none'] } },
      /never none/,
    ],
    [
      'a maxTokenAge that is not a span',
      { scheme: 'bearer', jwt: { secret: SECRET, maxTokenAge: 'a month' } },
      /maxTokenAge/,
    ],
    [
      'a negative clockTolerance',
      { scheme: 'bearer', jwt: { secret: SECRET, clockTolerance: -5 } },
      /clockTolerance/,
    ],
    ['a realm with a quote', { scheme: 'bearer', token: 't', realm: 'a"b' }, /realm/],
    [
      'a Bearer token ending in a newline',
      { scheme: 'bearer', token: 's3cret\n' },
      /ends with a newline \(read from a file.*trim it/,
    ],
    [
      'a Bearer token ending in a space',
      { scheme: 'bearer', token: 's3cret ' },
      /ends with whitespace/,
    ],
    [
      'a Bearer token starting with a tab',
      { scheme: 'bearer', token: '\ts3cret' },
      /starts with whitespace/,
    ],
    [
      'a Bearer token with a newline inside',
      { scheme: 'bearer', token: 's3\ncret' },
      /control character/,
    ],
    [
      'a listed token with a newline',
      { scheme: 'bearer', token: ['ok', 's3cret\r\n'] },
      /ends with a newline/,
    ],
    [
      'a Basic token ending in a newline',
      { scheme: 'basic', token: 'user:s3cret\n' },
      /ends with a newline/,
    ],
    [
      'a Promise for a token',
      { scheme: 'bearer', token: Promise.resolve('s3cret') },
      /did you forget await\?/,
    ],
    [
      'a listed Promise',
      { scheme: 'bearer', token: [Promise.resolve('s3cret')] },
      /did you forget await\?/,
    ],
  ])('%s throws a TypeError at setup, with a hint', (_what, options, hint) => {
    const setup = () => authHeader(options as never);
    expect(setup).toThrow(TypeError);
    expect(setup).toThrow(hint);
    expect(setup).not.toThrow(/s3cret/);
  });

  test('createNotificationToken() without await is a TypeError that says so', () => {
    const token = createNotificationToken({ secret: SECRET, expiresIn: '1h' });
    expect(() => authHeader({ scheme: 'bearer', token: token as never })).toThrow(
      /authHeader: token is a Promise, not a string: did you forget await\?/,
    );
    return token;
  });

  test('the preset fails at setup too, and the caller options are not mutated', () => {
    expect(() => idvNotifications({ auth: { scheme: 'basic', token: '' }, handlers: {} })).toThrow(
      TypeError,
    );
    const options = Object.freeze({
      scheme: 'basic' as const,
      token: Object.freeze(['a:b']) as readonly string[],
    });
    expect(authHeader(options).name).toBe('authHeaderMiddleware');
  });

  test('a secret given as bytes works like the string', async () => {
    const bytes = new TextEncoder().encode(SECRET);
    const token = await createNotificationToken({ secret: bytes, expiresIn: '1h' });
    const express = EXPRESS_VERSIONS[0]![1];
    const app = appWith(express, [
      authHeader({ scheme: 'bearer', jwt: { secret: SECRET } }),
      whoami,
    ]);
    await request(app).post('/hook').set('Authorization', `Bearer ${token}`).expect(200);
  });
});
