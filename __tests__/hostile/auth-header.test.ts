import fc from 'fast-check';
import type { Request, Response } from 'express';
import { authHeader, createNotificationToken } from '../../lib';
import {
  announceSeed,
  asReceived,
  checkReply,
  headerValue,
  startHarness,
  watchUnhandledRejections,
} from './harness';
import type { Expected, Harness } from './harness';
import { canonicalBase64 } from '../support/base64';

// authHeader() in its three modes against arbitrary and near-valid Authorization headers.

const BASIC_TOKENS = ['user:pass', 'rotated:Zo\u00eb p\u00e4ss'];
const BEARER_TOKENS = ['tok-123', 'tok-rotated.456'];
const JWT_SECRET = 'a-jwt-secret-of-at-least-32-bytes!!';
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

let handled = 0;
let seenAuth: unknown;
let harness: Harness;
let jwts: string[] = [];
watchUnhandledRejections();

beforeAll(async () => {
  announceSeed('hostile/auth-header');
  jwts = await Promise.all(
    ['s1', 's2', 's3'].map((sid) =>
      createNotificationToken({ secret: JWT_SECRET, expiresIn: '1h', claims: { sid } }),
    ),
  );
  harness = await startHarness((app) => {
    const ok = (req: Request, res: Response) => {
      handled++;
      seenAuth = req.notificationAuth;
      res.end();
    };
    app.post('/basic', authHeader({ scheme: 'basic', token: BASIC_TOKENS }), ok);
    app.post('/bearer', authHeader({ scheme: 'bearer', token: BEARER_TOKENS }), ok);
    app.post('/jwt', authHeader({ scheme: 'bearer', jwt: { secret: JWT_SECRET } }), ok);
  });
});
afterAll(() => harness.close());

/**
 * The scheme the header names, and its credentials, as RFC 9110 §11.4 reads them. Only
 * spaces and tabs are blank around the credentials: not `String.prototype.trim`, which
 * also drops 0xA0, a byte a client may send.
 */
function split(received: string): { scheme: string; value: string } {
  const space = received.indexOf(' ');
  return space < 0
    ? { scheme: received, value: '' }
    : { scheme: received.slice(0, space), value: asReceived(received.slice(space + 1)) };
}

function missingOrMalformed(received: string, scheme: string): Expected | undefined {
  if (received === '') return { status: 401, code: 'AUTH_MISSING' };
  if (received.length > 8192) return { status: 401, code: 'AUTH_INVALID' };
  const parts = split(received);
  if (parts.scheme.toLowerCase() !== scheme) return { status: 401, code: 'AUTH_MISSING' };
  if (parts.value === '') return { status: 401, code: 'AUTH_INVALID' };
  return undefined;
}

function basicOracle(header: string): { expected: Expected; tokenIndex?: number } {
  const received = asReceived(header);
  const early = missingOrMalformed(received, 'basic');
  if (early) return { expected: early };
  const { value } = split(received);
  const decoded = canonicalBase64(value);
  if (decoded === undefined) return { expected: { status: 401, code: 'AUTH_INVALID' } };
  const tokenIndex = BASIC_TOKENS.findIndex((t) => Buffer.from(t, 'utf8').equals(decoded));
  return tokenIndex < 0
    ? { expected: { status: 401, code: 'AUTH_INVALID' } }
    : { expected: { status: 200 }, tokenIndex };
}

const schemeSpelling = (scheme: string) =>
  fc.constantFrom(
    scheme,
    scheme.toUpperCase(),
    scheme.toLowerCase(),
    scheme[0] + scheme.slice(1).toUpperCase(),
  );
const gap = fc.constantFrom(' ', '  ', ' \t ');
const edge = fc.constantFrom('', ' ', '\t', ' \t');

/** A credential string, one character of it replaced, cut, or extended. */
function mutated(text: string) {
  return fc.oneof(
    fc.constant(text),
    fc.tuple(fc.nat(), headerValue(1)).map(([i, c]) => {
      const at = i % Math.max(1, text.length);
      return text.slice(0, at) + c + text.slice(at + 1);
    }),
    fc.nat().map((i) => text.slice(0, i % Math.max(1, text.length))),
    headerValue(4).map((extra) => text + extra),
  );
}

function authHeaders(scheme: 'Basic' | 'Bearer', credentials: readonly string[]) {
  const wellFormed = fc
    .tuple(edge, schemeSpelling(scheme), gap, fc.constantFrom(...credentials).chain(mutated), edge)
    .map(([a, s, g, c, b]) => a + s + g + c + b);
  return fc.oneof(
    { weight: 3, arbitrary: wellFormed },
    { weight: 2, arbitrary: headerValue(200) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        scheme,
        scheme + ' ',
        'Basic ' + b64('userpass'),
        'Basic ' + b64('user:pass').replace(/=+$/, ''),
        'Basic ' + b64('user:pass') + '=',
        'Bearer ' + b64('user:pass'),
        'Basic ' + b64('user:pass'),
        'Bearer tok-123',
        'Digest username="user"',
        scheme + ' ' + 'A'.repeat(8190),
        scheme + ' ' + 'A'.repeat(8200),
      ),
    },
  );
}

test('Basic: the handler runs iff the credentials are one of the tokens', async () => {
  const credentials = [...BASIC_TOKENS.map(b64), b64('user:pas'), b64(':'), b64('user:pass\n')];
  await fc.assert(
    fc.asyncProperty(authHeaders('Basic', credentials), async (header) => {
      handled = 0;
      const reply = await harness.post('/basic', { authorization: header }, '{}');
      const { expected, tokenIndex } = basicOracle(header);
      checkReply(reply, handled, expected);
      if (tokenIndex !== undefined) expect(seenAuth).toEqual({ scheme: 'basic', tokenIndex });
      if (reply.status === 401) {
        expect(reply.headers['www-authenticate']).toMatch(/^Basic realm="yoti-notifications"/);
        // Nothing of what was presented comes back.
        const { value } = split(asReceived(header));
        if (value.length > 3) expect(reply.body).not.toContain(value);
      }
    }),
    { numRuns: 1500 },
  );
});

test('Bearer: the handler runs iff the token is one of the tokens', async () => {
  await fc.assert(
    fc.asyncProperty(authHeaders('Bearer', BEARER_TOKENS), async (header) => {
      handled = 0;
      const reply = await harness.post('/bearer', { authorization: header }, '{}');
      const received = asReceived(header);
      const early = missingOrMalformed(received, 'bearer');
      const tokenIndex = BEARER_TOKENS.indexOf(split(received).value);
      const expected: Expected =
        early ?? (tokenIndex < 0 ? { status: 401, code: 'AUTH_INVALID' } : { status: 200 });
      checkReply(reply, handled, expected);
      if (reply.status === 200) expect(seenAuth).toEqual({ scheme: 'bearer', tokenIndex });
    }),
    { numRuns: 1000 },
  );
});

test('Bearer JWT: only an intact token (or one that decodes to the same bytes) passes', async () => {
  const decodeSegments = (token: string) =>
    token.split('.').map((part) => Buffer.from(part, 'base64url').toString('hex'));
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        { weight: 3, arbitrary: authHeaders('Bearer', jwts) },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            // alg "none", and an HS256 token made with another secret.
            'Bearer eyJhbGciOiJub25lIn0.eyJzaWQiOiJzMSJ9.',
            'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzaWQiOiJzMSJ9.QGLNb1YYCyTLB4ErsOI0m1-Dz2A3dmWb0aLmmZ1L1Oc',
          ),
        },
      ),
      async (header) => {
        handled = 0;
        const reply = await harness.post('/jwt', { authorization: header }, '{}');
        const received = asReceived(header);
        const early = missingOrMalformed(received, 'bearer');
        const { value } = split(received);
        const original = jwts.find((jwt) => jwt === value);
        if (early) return checkReply(reply, handled, early);
        if (original) return checkReply(reply, handled, { status: 200 });
        // Flipping the unused low bits of a segment's last character, or padding a segment,
        // changes no byte: the token may pass or not, but only with the same claims.
        const sameBytes = jwts.find(
          (jwt) =>
            /^[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]+={0,2}$/.test(value) &&
            decodeSegments(jwt).join('.') === decodeSegments(value).join('.'),
        );
        checkReply(reply, handled, sameBytes ? undefined : { status: 401, code: 'AUTH_INVALID' });
        if (reply.status === 200) {
          expect((seenAuth as { claims: { sid: string } }).claims.sid).toBe(
            JSON.parse(Buffer.from(sameBytes!.split('.')[1]!, 'base64url').toString()).sid,
          );
        }
      },
    ),
    { numRuns: 1000 },
  );
});
