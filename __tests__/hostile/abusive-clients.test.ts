import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import express from 'express';
import type { ErrorRequestHandler, Express } from 'express';
import { idvNotifications, parseIdvNotification, rawBody } from '../../lib';
import { serve as serveAsInReadme } from './readme-hardening';

// Abusive clients against a real listening server: trickled and abandoned bodies, aborts
// mid-body, lying Content-Length, a thousand concurrent oversize uploads. Each gets the
// right status or is closed, a valid request still succeeds meanwhile, and nothing leaks.

const LIMIT = 1024;
const REQUEST_TIMEOUT = 1500;
const TOKEN = 'user:pass';
const AUTH = 'Basic ' + Buffer.from(TOKEN).toString('base64');
const VALID = '{"session_id":"s-1","topic":"session_completion"}';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Served {
  server: http.Server;
  port: number;
  /** Codes the error handler saw, including those for clients that were gone. */
  codes: string[];
  handled: number;
  close(): Promise<void>;
}

async function serve(
  build: (app: Express, served: Served) => void,
  defaultErrors = false,
): Promise<Served> {
  const app = express();
  // A short requestTimeout bounds a client that never finishes its body; Node checks it
  // every connectionsCheckingInterval.
  const server = http.createServer(
    { requestTimeout: REQUEST_TIMEOUT, headersTimeout: 1000, connectionsCheckingInterval: 100 },
    app,
  );
  const served: Served = {
    server,
    port: 0,
    codes: [],
    handled: 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  build(app, served);
  if (!defaultErrors) {
    const handler: ErrorRequestHandler = (err, _req, res, _next) => {
      served.codes.push(err.code ?? 'UNEXPECTED');
      res
        .status(err.status ?? 500)
        .set(err.headers ?? {})
        .json({ code: err.code ?? 'UNEXPECTED' });
    };
    app.use(handler);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  served.port = (server.address() as AddressInfo).port;
  return served;
}

function routes(app: Express, served: Served): void {
  const ok = (_req: unknown, res: express.Response) => {
    served.handled++;
    res.json({ ok: true });
  };
  app.post('/raw', rawBody({ limit: LIMIT }), ok);
  app.post('/parse', rawBody({ limit: LIMIT }), parseIdvNotification(), ok);
  app.post(
    '/idv',
    idvNotifications({
      auth: { scheme: 'basic', token: TOKEN },
      limit: LIMIT,
      handlers: { session_completion: ok },
    }),
  );
}

interface RawExchange {
  /** Everything the server sent. */
  text: string;
  /** Statuses of the responses in `text`. */
  statuses: number[];
  /** Whether the server closed the connection. */
  closed: boolean;
  /** Milliseconds from the first byte sent to the close (or to the give-up). */
  ms: number;
}

/**
 * A raw TCP client: writes `parts` with `gapMs` between them, then either ends its side,
 * destroys the socket, or goes silent; collects what the server sends until it closes or
 * `waitMs` passes.
 */
function rawClient(
  port: number,
  parts: ReadonlyArray<string | Buffer>,
  options: {
    gapMs?: number;
    then: 'end' | 'destroy' | 'silence';
    waitMs: number;
    untilStatus?: boolean;
  },
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const started = Date.now();
    let text = '';
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
      resolve({ text, statuses, closed, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), options.waitMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (options.untilStatus && /HTTP\/1\.1 \d{3}[\s\S]*\r\n\r\n/.test(text)) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => undefined);
    socket.on('connect', async () => {
      for (const part of parts) {
        if (socket.destroyed) return;
        socket.write(part);
        if (options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
      }
      if (options.then === 'end') socket.end();
      if (options.then === 'destroy') socket.destroy();
    });
  });
}

const head = (path: string, headers: Record<string, string | number>) =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
  Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('') +
  '\r\n';

/** A valid notification, posted on a fresh connection: the server must still answer it. */
function validRequest(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/idv',
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', authorization: AUTH },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.setTimeout(5000, () =>
      req.destroy(new Error('the server did not answer a valid request within 5 s')),
    );
    req.on('error', reject);
    req.end(VALID);
  });
}

const connections = (server: http.Server) =>
  new Promise<number>((resolve, reject) =>
    server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
  );

async function settle(server: http.Server, baseline = 0): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const n = await connections(server);
    if (n <= baseline) return n;
    await new Promise((r) => setTimeout(r, 50));
  }
  return connections(server);
}

const tcpHandles = () =>
  process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

let served: Served;
const warnings: Error[] = [];
const onWarning = (warning: Error) => warnings.push(warning);
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('warning', onWarning);
  process.on('unhandledRejection', onUnhandled);
  served = await serve(routes);
});
afterAll(async () => {
  await served.close();
  process.off('warning', onWarning);
  process.off('unhandledRejection', onUnhandled);
  expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  expect(unhandled).toEqual([]);
});

test('a body trickled byte by byte, then abandoned, is closed by requestTimeout', async () => {
  const body = VALID.slice(0, 12);
  const attack = rawClient(
    served.port,
    [head('/raw', { 'Content-Type': 'application/json', 'Content-Length': VALID.length }), ...body],
    { gapMs: 20, then: 'silence', waitMs: REQUEST_TIMEOUT + 4000 },
  );
  // While it trickles, the server answers others.
  expect(await validRequest(served.port)).toBe(200);
  const result = await attack;
  expect(result.closed).toBe(true);
  // Node answers 408 when it times a request out; nothing else may have been sent.
  expect(result.statuses.every((s) => s === 408)).toBe(true);
  expect(await settle(served.server)).toBe(0);
}, 15_000);

test('a client that aborts mid-body: BODY_UNREADABLE, no handler, no leak', async () => {
  const before = served.codes.length;
  const handled = served.handled;
  const results = await Promise.all(
    Array.from({ length: 50 }, () =>
      rawClient(
        served.port,
        [
          head('/raw', { 'Content-Type': 'application/json', 'Content-Length': 500 }),
          '{"session_id":',
        ],
        {
          gapMs: 20,
          then: 'destroy',
          waitMs: 3000,
        },
      ),
    ),
  );
  expect(results.every((r) => r.closed)).toBe(true);
  expect(await validRequest(served.port)).toBe(200);
  expect(await settle(served.server)).toBe(0);
  expect(served.handled).toBe(handled + 1);
  const codes = served.codes.slice(before);
  expect(codes.length).toBeGreaterThan(0);
  expect(codes.every((c) => c === 'BODY_UNREADABLE')).toBe(true);
});

test('a Content-Length shorter than the body: the declared bytes are judged, the rest is not a request', async () => {
  const result = await rawClient(
    served.port,
    [
      head('/parse', { 'Content-Type': 'application/json', 'Content-Length': 20 }) +
        VALID.slice(0, 20),
      VALID.slice(20),
    ],
    { gapMs: 100, then: 'silence', waitMs: 3000 },
  );
  // The first 20 bytes are not JSON; what follows them is not HTTP: Node answers 400 and closes.
  expect(result.statuses).toEqual([400, 400]);
  expect(result.text).toContain('"code":"PAYLOAD_MALFORMED"');
  expect(result.closed).toBe(true);
  // Sent in one packet, the excess is a parse error before the body is judged: Node's 400.
  const onePacket = await rawClient(
    served.port,
    [head('/parse', { 'Content-Type': 'application/json', 'Content-Length': 20 }) + VALID],
    { then: 'silence', waitMs: 3000 },
  );
  expect(onePacket.closed).toBe(true);
  expect(onePacket.statuses.every((s) => s === 400)).toBe(true);
});

test('a Content-Length longer than the body: 400 BODY_UNREADABLE when the client ends, closed when it waits', async () => {
  const ended = await rawClient(
    served.port,
    [
      head('/idv', {
        'Content-Type': 'application/json',
        Authorization: AUTH,
        'Content-Length': VALID.length + 50,
      }) + VALID,
    ],
    { then: 'end', waitMs: 3000 },
  );
  expect(ended.closed).toBe(true);
  // Either rawBody() reports the short body, or Node's parser (unexpected end of stream)
  // answers first: a 400 and a close, never the handler.
  expect(ended.statuses.every((s) => s === 400)).toBe(true);
  if (ended.text.includes('"code"')) expect(ended.text).toContain('"code":"BODY_UNREADABLE"');
  const waiting = await rawClient(
    served.port,
    [
      head('/idv', {
        'Content-Type': 'application/json',
        Authorization: AUTH,
        'Content-Length': VALID.length + 50,
      }) + VALID,
    ],
    { then: 'silence', waitMs: REQUEST_TIMEOUT + 4000 },
  );
  expect(waiting.closed).toBe(true);
  expect(waiting.statuses.every((s) => s === 408)).toBe(true);
  expect(await settle(served.server)).toBe(0);
}, 15_000);

test('1,000 concurrent oversize uploads get 413 without being buffered; the server stays up', async () => {
  gc();
  const baseline = process.memoryUsage();
  const handlesBefore = tcpHandles();
  const listenersBefore =
    served.server.listenerCount('request') + served.server.listenerCount('connection');
  const handled = served.handled;
  // One chunk and one chunked-encoding frame of it, shared by every client, so that what
  // the clients hold does not count as the server's memory (they run in this process).
  const chunk = Buffer.alloc(16 * 1024, 0x20);
  const frame = Buffer.concat([
    Buffer.from(chunk.length.toString(16) + '\r\n'),
    chunk,
    Buffer.from('\r\n'),
  ]);
  const attacks = Array.from({ length: 1000 }, (_, i) => {
    const path = i % 4 === 0 ? '/idv' : '/raw';
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/json',
      Authorization: AUTH,
    };
    if (i % 2 === 0) {
      // Declared too large: refused from the header, before a byte of the body is read.
      headers['Content-Length'] = 10 * 1024 * 1024;
      return rawClient(served.port, [head(path, headers), chunk, chunk, chunk, chunk], {
        gapMs: 5,
        then: 'silence',
        waitMs: 20_000,
      });
    }
    // Chunked, no length: refused once the count passes the limit.
    headers['Transfer-Encoding'] = 'chunked';
    const parts = [head(path, headers), frame, frame, frame, frame];
    return rawClient(served.port, parts, { gapMs: 5, then: 'silence', waitMs: 20_000 });
  });
  // A valid request in the middle of the attack is still answered.
  const valid = validRequest(served.port);
  const results = await Promise.all(attacks);
  expect(await valid).toBe(200);

  const statuses = results.map((r) => r.statuses[0] ?? 'closed');
  // Every one is answered 413 (or, if the server closed first, just closed).
  expect(statuses.filter((s) => s !== 413 && s !== 'closed')).toEqual([]);
  expect(statuses.filter((s) => s === 413).length).toBeGreaterThan(900);
  expect(results.every((r) => r.closed)).toBe(true);
  for (const r of results.filter((r) => r.statuses[0] === 413))
    expect(r.text).toContain('"code":"BODY_TOO_LARGE"');
  expect(served.handled).toBe(handled + 1);

  expect(await settle(served.server)).toBe(0);
  for (let i = 0; i < 50 && tcpHandles() > handlesBefore; i++)
    await new Promise((r) => setTimeout(r, 50));
  expect(tcpHandles()).toBeLessThanOrEqual(handlesBefore);
  expect(served.server.listenerCount('request') + served.server.listenerCount('connection')).toBe(
    listenersBefore,
  );
  gc();
  await new Promise((r) => setTimeout(r, 100));
  gc();
  const after = process.memoryUsage();
  // 1,000 uploads of up to 64 KiB each: buffering them would hold tens of megabytes.
  expect(after.heapUsed - baseline.heapUsed).toBeLessThan(16 * 1024 * 1024);
  expect(after.arrayBuffers - baseline.arrayBuffers).toBeLessThan(8 * 1024 * 1024);
  expect(await validRequest(served.port)).toBe(200);
}, 60_000);

test("with Express's default error handler, an oversize body is drained (not buffered) before the 413", async () => {
  // finalhandler waits for the request to end before answering; the body is read and
  // discarded, so only requestTimeout bounds a client that never finishes it.
  const plain = await serve((app, s) => routes(app, s), true);
  try {
    const body = Buffer.alloc(8 * LIMIT, 0x20);
    const finished = await rawClient(
      plain.port,
      [head('/raw', { 'Content-Type': 'application/json', 'Content-Length': body.length }), body],
      {
        then: 'silence',
        waitMs: 3000,
        untilStatus: true,
      },
    );
    expect(finished.statuses).toEqual([413]);
    const abandoned = await rawClient(
      plain.port,
      [
        head('/raw', { 'Content-Type': 'application/json', 'Content-Length': body.length }),
        body.subarray(0, 100),
      ],
      {
        then: 'silence',
        waitMs: REQUEST_TIMEOUT + 4000,
      },
    );
    expect(abandoned.closed).toBe(true);
    expect(abandoned.statuses.every((s) => s === 408)).toBe(true);
    expect(await settle(plain.server)).toBe(0);
  } finally {
    await plain.close();
  }
}, 15_000);

test('the README hardening snippet serves the app with the timeouts it shows', async () => {
  const app = express();
  routes(app, { codes: [], handled: 0 } as unknown as Served);
  const server = serveAsInReadme(app, 0);
  await new Promise<void>((resolve) => server.once('listening', resolve));
  try {
    expect(server.requestTimeout).toBe(30_000);
    expect(server.headersTimeout).toBe(10_000);
    expect(await validRequest((server.address() as AddressInfo).port)).toBe(200);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
