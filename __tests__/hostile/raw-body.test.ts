import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { rawBody } from '../../lib';
import {
  announceSeed,
  asReceived,
  checkReply,
  decodeUtf8,
  headerValue,
  startHarness,
  watchUnhandledRejections,
} from './harness';
import type { Expected, Harness } from './harness';

// rawBody() against arbitrary bodies, content types and encodings: a documented 4xx or the
// exact bytes, decided by an independent oracle; never a 5xx, a hang or a stray rejection.

const LIMIT = 4096;
let handled = 0;
let harness: Harness;
watchUnhandledRejections();

beforeAll(async () => {
  announceSeed('hostile/raw-body');
  harness = await startHarness((app) => {
    app.post('/raw', rawBody({ limit: LIMIT }), (req, res) => {
      handled++;
      res.json({ sha: createHash('sha1').update(req.rawBody!).digest('hex') });
    });
  });
});
afterAll(() => harness.close());

const ESSENCES = [
  'application/json',
  'APPLICATION/Json',
  ' application/json ',
  '\tapplication/json\t',
  // 0xA0 is not whitespace in HTTP: the essence is then no media type.
  'application/json\u00a0',
  '\u00a0application/json',
  'application/vnd.yoti+json',
  'application/merge-patch+JSON',
  'application/+json',
  'application/json+x',
  'application/jsonx',
  'text/json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  '*/*',
  'json',
  '',
  'application/',
  '/json',
  'application/json/x',
  'application/ json',
];
/** Parameters, and whether they leave the charset acceptable. */
const PARAMS: ReadonlyArray<readonly [string, boolean]> = [
  ['', true],
  ['; charset=utf-8', true],
  [';charset=UTF-8', true],
  ['; charset="utf-8"', true],
  ['; Charset = utf8', true],
  ['; charset=us-ascii', true],
  ['; boundary=x', true],
  ['; boundary=x; charset=utf-8', true],
  ['; charset=latin1', false],
  ['; charset=utf-16', false],
  ['; charset=""', false],
  ['; charset=iso-8859-1; x=y', false],
];
const ENCODINGS = [
  undefined,
  'identity',
  ' IDENTITY ',
  '\tidentity',
  'identity\u00a0',
  'gzip',
  'br',
  'deflate, identity',
];

function acceptsEssence(essence: string): boolean {
  const lower = asReceived(essence).toLowerCase();
  const match = /^([!#$%&'*+.^_`|~0-9a-z-]+)\/([!#$%&'*+.^_`|~0-9a-z-]+)$/.exec(lower);
  return (
    match !== null &&
    match[1] === 'application' &&
    (match[2] === 'json' || match[2]!.endsWith('+json'))
  );
}

const bodies: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
  fc.string({ unit: 'grapheme', maxLength: 300 }).map((s) => Buffer.from(s, 'utf8')),
  fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null', 'utf8')),
  fc.integer({ min: LIMIT - 2, max: LIMIT * 3 }).map((n) => Buffer.alloc(n, 0x61)),
  fc.constant(Buffer.alloc(0)),
  // A truncated multi-byte character, and an overlong encoding.
  fc.constantFrom(
    Buffer.from([0x7b, 0xe2, 0x82]),
    Buffer.from([0xc0, 0xaf]),
    Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
  ),
);

function expected(body: Buffer, essence: string, charsetOk: boolean, encoding?: string): Expected {
  if (encoding !== undefined && asReceived(encoding).toLowerCase() !== 'identity') {
    return { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' };
  }
  if (!acceptsEssence(essence) || !charsetOk)
    return { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' };
  if (body.length > LIMIT) return { status: 413, code: 'BODY_TOO_LARGE' };
  if (body.length === 0 || decodeUtf8(body) === undefined)
    return { status: 400, code: 'BODY_UNREADABLE' };
  return { status: 200 };
}

test('known content types and encodings: the oracle decides every answer', async () => {
  await fc.assert(
    fc.asyncProperty(
      bodies,
      fc.constantFrom(...ESSENCES),
      fc.constantFrom(...PARAMS),
      fc.constantFrom(...ENCODINGS),
      async (body, essence, [params, charsetOk], encoding) => {
        handled = 0;
        const headers: Record<string, string> = { 'content-type': essence + params };
        if (encoding !== undefined) headers['content-encoding'] = encoding;
        const reply = await harness.post('/raw', headers, body);
        // An empty essence with no parameters sends an empty header: still no JSON type.
        checkReply(reply, handled, expected(body, essence, charsetOk, encoding));
        if (reply.status === 200) {
          expect(JSON.parse(reply.body).sha).toBe(createHash('sha1').update(body).digest('hex'));
        }
      },
    ),
    { numRuns: 1500 },
  );
});

test('arbitrary Content-Type headers: a documented answer, the handler iff 200', async () => {
  await fc.assert(
    fc.asyncProperty(bodies, headerValue(120), async (body, type) => {
      handled = 0;
      const reply = await harness.post('/raw', { 'content-type': type }, body);
      checkReply(reply, handled);
      // Whatever the header, only a JSON type with a UTF-8 (or no) charset is read.
      if (reply.status === 200) expect(acceptsEssence(type.split(';')[0]!)).toBe(true);
      if (!type.includes(';')) checkReply(reply, handled, expected(body, type, true));
    }),
    { numRuns: 1000 },
  );
});
