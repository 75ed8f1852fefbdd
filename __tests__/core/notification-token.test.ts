import { createHmac, generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { createNotificationToken, createTokenVerifier } from '../../lib/core/notification-token';

const SECRET = 'a notification secret of 32 bytes at least!';

/** An HS256 JWT over claims written exactly as given (jose would not write `1e400`). */
function hs256(claims: string): string {
  const part = (text: string) => Buffer.from(text).toString('base64url');
  const input = `${part('{"alg":"HS256","typ":"JWT"}')}.${part(claims)}`;
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
}

describe('createNotificationToken', () => {
  test('refuses bad options', async () => {
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

  test('its tokens carry iat and a finite exp, so that the verifier and maxTokenAge accept them', async () => {
    const token = await createNotificationToken({ secret: SECRET, expiresIn: 90 });
    const verify = createTokenVerifier({ secret: SECRET, maxTokenAge: '1d' });
    const result = await verify(token);
    expect(result.ok).toBe(true);
    const claims = result.ok ? result.token.claims : {};
    expect(claims.exp! - claims.iat!).toBe(90);
  });
});

describe('createTokenVerifier', () => {
  const verify = createTokenVerifier({ secret: SECRET });
  const exp = () => Math.floor(Date.now() / 1000) + 600;

  test('a finite exp in the future passes (the hand-made tokens are well signed)', async () => {
    await expect(verify(hs256(`{"exp":${exp()}}`))).resolves.toMatchObject({ ok: true });
  });

  test.each([
    ['no exp', '{"sub":"order-1"}'],
    ['exp 1e400 (Infinity once parsed)', '{"exp":1e400}'],
    ['exp -1e400', '{"exp":-1e400}'],
    ['a string exp', '{"exp":"9999999999"}'],
    ['exp null', '{"exp":null}'],
  ])('%s is refused, with a reason and no secret', async (_what, claims) => {
    const result = await verify(hs256(claims));
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/^ERR_JWT_/) });
  });

  test.each([
    ['tabs and = appended', '\t\t='],
    ['a trailing =', '='],
    ['a space inside', ' '],
    ['a fourth segment', '.e30'],
  ])('a genuine token with %s is refused: only the compact form is read', async (_what, tail) => {
    const token = hs256(`{"exp":${exp()}}`);
    await expect(verify(token)).resolves.toMatchObject({ ok: true });
    await expect(verify(token + tail)).resolves.toEqual({ ok: false, reason: 'ERR_JWS_INVALID' });
    // In the middle of the signature, too.
    const cut = token.length - 5;
    await expect(verify(token.slice(0, cut) + tail + token.slice(cut))).resolves.toEqual({
      ok: false,
      reason: 'ERR_JWS_INVALID',
    });
  });

  test('maxTokenAge caps the age from iat, on top of exp', async () => {
    const capped = createTokenVerifier({ secret: SECRET, maxTokenAge: 3600 });
    const now = Math.floor(Date.now() / 1000);
    const sign = (iat: number) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt(iat)
        .setExpirationTime(now + 86400)
        .sign(Buffer.from(SECRET));
    await expect(capped(await sign(now - 60))).resolves.toMatchObject({ ok: true });
    await expect(capped(await sign(now - 7200))).resolves.toEqual({
      ok: false,
      reason: 'ERR_JWT_EXPIRED',
    });
    // Without iat the age is unknown: refused.
    await expect(capped(hs256(`{"exp":${exp()}}`))).resolves.toMatchObject({ ok: false });
    // The same old token without the cap: exp alone decides.
    await expect(verify(await sign(now - 7200))).resolves.toMatchObject({ ok: true });
  });

  test.each([
    ['maxTokenAge', { maxTokenAge: 'a month' }],
    ['maxTokenAge', { maxTokenAge: -1 }],
    ['maxTokenAge', { maxTokenAge: Number.POSITIVE_INFINITY }],
    ['clockTolerance', { clockTolerance: 'soon' }],
    ['clockTolerance', { clockTolerance: -5 }],
  ])('a bad %s is a TypeError at setup, not a failure per token', (option, extra) => {
    const setup = () => createTokenVerifier({ secret: SECRET, ...extra }, 'where');
    expect(setup).toThrow(TypeError);
    expect(setup).toThrow(new RegExp(`^where: .*${option}`));
  });

  test.each([['30d'], ['12 hours'], [0], [86400]])('maxTokenAge %j is accepted', (maxTokenAge) => {
    expect(() => createTokenVerifier({ secret: SECRET, maxTokenAge })).not.toThrow();
  });
});
