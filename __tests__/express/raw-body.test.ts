import { AsyncLocalStorage } from 'node:async_hooks';
import type { NextFunction, Request, Response } from 'express';
import request from 'supertest';
import { keepRawBody, rawBody } from '../../lib';
import { DEFAULT_BODY_LIMIT } from '../../lib/express/raw-body';
import { appWith, codeErrorHandler, EXPRESS_VERSIONS } from '../support/express-versions';
import { send, withServer } from '../support/raw-http';

const echo = (req: Request, res: Response) => {
  res.json({ hex: req.rawBody!.toString('hex'), length: req.rawBody!.length });
};

describe.each(EXPRESS_VERSIONS)('rawBody() on %s', (_name, express) => {
  const app = appWith(express, [rawBody(), echo]);

  test('keeps the exact bytes, whitespace and non-ASCII included', async () => {
    const body = '{ "a" :\t"Zoë 東京 🚀",\n  "b": [1, 2.50, 1e3] }  ';
    const res = await request(app).post('/hook').type('json').send(body).expect(200);
    expect(Buffer.from(res.body.hex, 'hex').toString('utf8')).toBe(body);
    expect(res.body.length).toBe(Buffer.byteLength(body));
  });

  test.each([
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON; Charset="UTF-8"',
    'application/vnd.api+json',
    'application/merge-patch+json',
  ])('accepts Content-Type %s', async (type) => {
    await request(app).post('/hook').set('Content-Type', type).send('{}').expect(200);
  });

  test.each([
    ['text/plain', 'text/plain'],
    ['a form', 'application/x-www-form-urlencoded'],
    ['a non-UTF-8 charset', 'application/json; charset=iso-8859-1'],
    ['a malformed type', 'json'],
  ])('refuses %s with 415 UNSUPPORTED_MEDIA_TYPE', async (_what, type) => {
    const res = await request(app).post('/hook').set('Content-Type', type).send('{}');
    expect(res.status).toBe(415);
    expect(res.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  test('refuses a missing Content-Type with 415', async () => {
    await withServer(app, async ({ port }) => {
      const res = await send(port, { headers: { 'Content-Length': 2 }, body: '{}' });
      expect(res.status).toBe(415);
      expect(JSON.parse(res.body).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    });
  });

  test('refuses a compressed body with 415', async () => {
    const res = await request(app)
      .post('/hook')
      .type('json')
      .set('Content-Encoding', 'gzip')
      .send('{}');
    expect(res.status).toBe(415);
    expect(res.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  test('an empty body is 400 BODY_UNREADABLE', async () => {
    const res = await request(app).post('/hook').type('json').send('');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('BODY_UNREADABLE');
  });

  test('a request with no body at all is 400 BODY_UNREADABLE', async () => {
    await withServer(app, async ({ port }) => {
      const res = await send(port, { headers: { 'Content-Type': 'application/json' } });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).code).toBe('BODY_UNREADABLE');
    });
  });

  test('bytes that are not UTF-8 are 400 BODY_UNREADABLE', async () => {
    await withServer(app, async ({ port }) => {
      const body = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]);
      const res = await send(port, {
        headers: { 'Content-Type': 'application/json', 'Content-Length': body.length },
        body,
      });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).code).toBe('BODY_UNREADABLE');
    });
  });

  test('accepts a body of exactly the default limit, 64 KiB', async () => {
    expect(DEFAULT_BODY_LIMIT).toBe(65536);
    const body = JSON.stringify({ pad: 'x'.repeat(DEFAULT_BODY_LIMIT - 10) });
    expect(Buffer.byteLength(body)).toBe(DEFAULT_BODY_LIMIT);
    await request(app).post('/hook').type('json').send(body).expect(200);
  });

  test('a body one byte over the limit is 413 BODY_TOO_LARGE', async () => {
    const body = JSON.stringify({ pad: 'x'.repeat(DEFAULT_BODY_LIMIT - 9) });
    const res = await request(app).post('/hook').type('json').send(body);
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('BODY_TOO_LARGE');
  });

  test('a multi-megabyte body is 413 BODY_TOO_LARGE, also with the default error handler', async () => {
    const body = JSON.stringify({ pad: 'x'.repeat(5 * 1024 * 1024) });
    const res = await request(app).post('/hook').type('json').send(body);
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('BODY_TOO_LARGE');
    const plain = appWith(express, [rawBody(), echo], { codes: false });
    const viaDefault = await request(plain).post('/hook').type('json').send(body);
    expect(viaDefault.status).toBe(413);
  });

  test('decides from Content-Length before reading: the answer comes without the rest of the body', async () => {
    await withServer(app, async ({ port }) => {
      const res = await send(port, {
        headers: { 'Content-Type': 'application/json', 'Content-Length': 50 * 1024 * 1024 },
        body: '{"pad":"',
        end: false,
      });
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body).code).toBe('BODY_TOO_LARGE');
    });
  });

  test('counts a body sent without Content-Length and stops at the limit', async () => {
    const limited = appWith(express, [rawBody({ limit: '1kb' }), echo]);
    await withServer(limited, async ({ port }) => {
      const res = await send(port, {
        headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
        chunks: Array.from({ length: 8 }, () => 'x'.repeat(512)),
        end: false,
      });
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body).code).toBe('BODY_TOO_LARGE');
    });
  });

  test('reads a chunked body under the limit in full', async () => {
    await withServer(app, async ({ port }) => {
      const res = await send(port, {
        headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
        chunks: ['{"a":', '"b"', '}'],
      });
      expect(res.status).toBe(200);
      expect(Buffer.from(JSON.parse(res.body).hex, 'hex').toString()).toBe('{"a":"b"}');
    });
  });

  test('an aborted upload is BODY_UNREADABLE, passed to next()', async () => {
    const seen: string[] = [];
    const aborted = express();
    aborted.post('/hook', rawBody(), echo);
    aborted.use((err: { code: string }, _req: Request, res: Response, _next: NextFunction) => {
      seen.push(err.code);
      res.status(400).end();
    });
    await withServer(aborted, async ({ port }) => {
      const http = await import('node:http');
      await new Promise<void>((resolve) => {
        const req = http.request({
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/hook',
          headers: { 'Content-Type': 'application/json', 'Content-Length': 1000 },
        });
        req.on('error', () => resolve());
        req.write('{"half":', () => setTimeout(() => req.destroy(), 20));
      });
      for (let i = 0; i < 50 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    });
    expect(seen).toEqual(['BODY_UNREADABLE']);
  });

  test('a client gone while an earlier layer waits is BODY_UNREADABLE, not a setup error', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let gone!: () => void;
    const clientGone = new Promise<void>((resolve) => (gone = resolve));
    const app = express();
    app.post(
      '/hook',
      // An async step before rawBody(), such as a token looked up in a database.
      (req: Request, _res: Response, next: NextFunction) => {
        req.once('close', gone);
        void held.then(() => next());
      },
      rawBody(),
      echo,
    );
    app.use((err: { code: string }, _req: Request, res: Response, _next: NextFunction) => {
      seen.push(err.code);
      res.status(400).end();
    });
    await withServer(app, async ({ port }) => {
      const http = await import('node:http');
      const body = '{"session_id":"s","topic":"session_completion"}';
      const req = http.request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/hook',
        headers: { 'Content-Type': 'application/json', 'Content-Length': body.length },
      });
      req.on('error', () => undefined);
      req.end(body, () => req.destroy());
      await clientGone;
      release();
      for (let i = 0; i < 50 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    });
    expect(seen).toEqual(['BODY_UNREADABLE']);
  });

  test('keeps the async context of the layers before it while a late body arrives', async () => {
    const context = new AsyncLocalStorage<{ id: string }>();
    const traced = express();
    traced.post(
      '/hook',
      (_req, _res, next) => context.run({ id: 'request-7' }, next),
      rawBody(),
      (req, res) => res.json({ id: context.getStore()?.id, length: req.rawBody!.length }),
    );
    await withServer(traced, async ({ port }) => {
      const http = await import('node:http');
      const answer = new Promise<string>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/hook',
            headers: { 'Content-Type': 'application/json', 'Content-Length': 9 },
          },
          (res) => {
            let text = '';
            res.on('data', (part: Buffer) => (text += part));
            res.on('end', () => resolve(text));
          },
        );
        req.on('error', reject);
        // The headers first; the body in two later packets, read outside the request's context.
        req.flushHeaders();
        setTimeout(() => req.write('{"a":', () => setTimeout(() => req.end('"b"}'), 20)), 20);
      });
      expect(JSON.parse(await answer)).toEqual({ id: 'request-7', length: 9 });
    });
  });

  test('reuses a req.rawBody Buffer that an earlier layer captured', async () => {
    const captured = express();
    captured.post(
      '/hook',
      (req, _res, next) => {
        req.rawBody = Buffer.from('{"from":"earlier"}');
        next();
      },
      rawBody(),
      echo,
    );
    const res = await request(captured)
      .post('/hook')
      .type('json')
      .send('{"from":"wire"}')
      .expect(200);
    expect(Buffer.from(res.body.hex, 'hex').toString()).toBe('{"from":"earlier"}');
  });

  test('works after express.json({ verify: keepRawBody })', async () => {
    const global = express();
    global.use(express.json({ verify: keepRawBody }));
    global.post('/hook', rawBody(), (req, res) => {
      res.json({ raw: req.rawBody!.toString(), parsed: req.body });
    });
    const body = '{ "b": 1, "a": "x y" }';
    const res = await request(global).post('/hook').type('json').send(body).expect(200);
    expect(res.body).toEqual({ raw: body, parsed: { b: 1, a: 'x y' } });
  });

  test.each([
    ['express.json()', () => express.json()],
    ['express.text()', () => express.text({ type: '*/*' })],
  ])(
    'after %s without keepRawBody: 500 RAW_BODY_UNAVAILABLE that says how to fix it, no hang',
    async (_name, parser) => {
      const consumed = express();
      consumed.use(parser());
      consumed.post('/hook', rawBody(), echo);
      consumed.use(codeErrorHandler);
      const res = await request(consumed).post('/hook').type('json').send('{"a":1}').timeout(2000);
      expect(res.status).toBe(500);
      expect(res.body.code).toBe('RAW_BODY_UNAVAILABLE');
      expect(res.body.message).toMatch(/keepRawBody/);
      expect(res.body.message).toMatch(/before/);
    },
  );

  test('the type option takes patterns and functions', async () => {
    const anyType = appWith(express, [rawBody({ type: '*/*' }), echo]);
    await request(anyType).post('/hook').set('Content-Type', 'text/plain').send('{}').expect(200);
    const textOnly = appWith(express, [rawBody({ type: ['text/*'] }), echo]);
    await request(textOnly).post('/hook').set('Content-Type', 'text/csv').send('a').expect(200);
    expect((await request(textOnly).post('/hook').type('json').send('{}')).status).toBe(415);
    const byFunction = appWith(express, [
      rawBody({ type: (req) => req.headers['x-ok'] === '1' }),
      echo,
    ]);
    await request(byFunction)
      .post('/hook')
      .set('x-ok', '1')
      .set('Content-Type', 'a/b')
      .send('{}')
      .expect(200);
    expect((await request(byFunction).post('/hook').type('json').send('{}')).status).toBe(415);
  });
});

describe('rawBody() options', () => {
  test.each([
    [{ limit: 0 }],
    [{ limit: -1 }],
    [{ limit: '64 parsecs' }],
    [{ limit: Number.NaN }],
    [{ type: [] as string[] }],
    [{ type: 'not a type' }],
  ])('%j is a TypeError at setup', (options) => {
    expect(() => rawBody(options as never)).toThrow(TypeError);
  });

  test("reads sizes such as '1kb' and '1.5mb', 1024-based", async () => {
    const express = EXPRESS_VERSIONS[0]![1];
    const app = appWith(express, [rawBody({ limit: '1kb' }), echo]);
    await request(app)
      .post('/hook')
      .type('json')
      .send(JSON.stringify({ p: 'x'.repeat(1016) }))
      .expect(200);
    expect(
      (
        await request(app)
          .post('/hook')
          .type('json')
          .send(JSON.stringify({ p: 'x'.repeat(1017) }))
      ).status,
    ).toBe(413);
    expect(() => rawBody({ limit: '1.5mb' })).not.toThrow();
  });

  test('returns a named middleware and leaves the options object alone', () => {
    const options = Object.freeze({ limit: '2kb', type: Object.freeze(['application/json']) });
    expect(rawBody(options).name).toBe('rawBodyMiddleware');
  });
});
