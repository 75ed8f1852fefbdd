import { generateKeyPairSync } from 'node:crypto';
import type { Request, Response } from 'express';
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
    ['no options', undefined],
    ['an unknown scheme', { scheme: 'digest', token: 'a:b' }],
    ['neither token nor jwt', { scheme: 'bearer' }],
    ['both token and jwt', { scheme: 'bearer', token: 't', jwt: { secret: SECRET } }],
    ['an empty token', { scheme: 'bearer', token: '' }],
    ['an empty token list', { scheme: 'bearer', token: [] }],
    ['an empty token in the list', { scheme: 'bearer', token: ['ok', ''] }],
    ['a non-string token', { scheme: 'bearer', token: 42 }],
    ['a Basic token without a colon', { scheme: 'basic', token: 'justapassword' }],
    ['jwt with basic', { scheme: 'basic', jwt: { secret: SECRET } }],
    ['a JWT secret under 32 bytes', { scheme: 'bearer', jwt: { secret: 'short' } }],
    ['jwt with both secret and key', { scheme: 'bearer', jwt: { secret: SECRET, publicKey: 'x' } }],
    ['an unreadable JWT public key', { scheme: 'bearer', jwt: { publicKey: 'not a key' } }],
    ['alg none allowed', { scheme: 'bearer', jwt: { secret: SECRET, algorithms: ['none'] } }],
    ['a realm with a quote', { scheme: 'bearer', token: 't', realm: 'a"b' }],
  ])('%s throws a TypeError at setup', (_what, options) => {
    expect(() => authHeader(options as never)).toThrow(TypeError);
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

  test('createNotificationToken refuses bad options', async () => {
    await expect(createNotificationToken({ secret: 'short', expiresIn: '1d' })).rejects.toThrow(
      TypeError,
    );
    await expect(createNotificationToken({ secret: SECRET } as never)).rejects.toThrow(/expiresIn/);
    await expect(createNotificationToken({ secret: SECRET, expiresIn: -5 })).rejects.toThrow(
      TypeError,
    );
    await expect(createNotificationToken({ expiresIn: '1d' })).rejects.toThrow(TypeError);
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await expect(
      createNotificationToken({ privateKey: publicKey, expiresIn: '1d' }),
    ).rejects.toThrow(TypeError);
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
