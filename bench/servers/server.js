// One benchmark server, in its own process: `node server.js <kind>`, started by fork() from
// bench/run.js. It loads the built package (dist/) like an application would, answers on
// POST /hook, and talks to its parent over IPC:
//   → { type: 'listening', port, pid }
//   ← { type: 'rss' }  → { type: 'rss', rss } (after a full collection, when --expose-gc)
// Kinds: idv-chain, idv-reference (and idv-reference-twin, the same, for the control figure),
// age-chain, age-reference, and for a flood of wrong credentials idv-refusing-chain (the IDV
// chain ending in notificationErrorHandler()) and idv-refusing-reference (express.json(),
// timingSafeEqual, a 401 JSON answer by hand).
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const express = require('express');

const ROOT = path.join(__dirname, '..', '..');
// The built package; BENCH_PACKAGE points elsewhere, e.g. at another build to compare with.
const PACKAGE = process.env.BENCH_PACKAGE || ROOT;
const kind = process.argv[2];
const BASIC_TOKEN = 'bench:notify';
const PUBLIC_PEM = fs.readFileSync(
  path.join(ROOT, '__tests__', 'fixtures', 'age-verification', 'rsa-3072-public.pem'),
  'utf8',
);

const app = express();
const noop = () => undefined;

switch (kind) {
  case 'idv-chain': {
    const { authHeader, rawBody, parseIdvNotification, topicRouter } = require(PACKAGE);
    app.post(
      '/hook',
      authHeader({ scheme: 'basic', token: BASIC_TOKEN }),
      rawBody(),
      parseIdvNotification(),
      topicRouter().on('session_completion', noop),
    );
    break;
  }
  // idv-reference-twin: the same route in a second process, for the control figure.
  case 'idv-reference':
  case 'idv-reference-twin':
    // The least an app could do: parse JSON and answer 200.
    app.post('/hook', express.json(), (_req, res) => res.status(200).end());
    break;
  case 'idv-refusing-chain': {
    const {
      authHeader,
      rawBody,
      parseIdvNotification,
      topicRouter,
      notificationErrorHandler,
    } = require(PACKAGE);
    app.post(
      '/hook',
      authHeader({ scheme: 'basic', token: BASIC_TOKEN }),
      rawBody(),
      parseIdvNotification(),
      topicRouter().on('session_completion', noop),
      // Logging nothing, as the reference does.
      notificationErrorHandler({ log: noop }),
    );
    break;
  }
  case 'idv-refusing-reference': {
    // What an app could write by hand: parse, compare in constant time, answer 401 JSON.
    const expected = Buffer.from('Basic ' + Buffer.from(BASIC_TOKEN).toString('base64'));
    app.post('/hook', express.json(), (req, res) => {
      const given = Buffer.from(req.headers.authorization ?? '');
      const ok = given.length === expected.length && crypto.timingSafeEqual(given, expected);
      if (!ok) return res.status(401).json({ code: 'AUTH_INVALID' });
      res.status(200).end();
    });
    break;
  }
  case 'age-chain': {
    const { rawBody, verifySignature, stateRouter } = require(PACKAGE);
    app.post(
      '/hook',
      rawBody(),
      verifySignature({ publicKey: PUBLIC_PEM }),
      stateRouter().on('COMPLETE', noop),
    );
    break;
  }
  case 'age-reference': {
    // What Yoti's JavaScript example does, with the key imported once.
    const key = crypto.createPublicKey(PUBLIC_PEM);
    app.post('/hook', express.raw({ type: 'application/json' }), (req, res) => {
      const { signature, sequence_number: _sequence, ...signed } = JSON.parse(req.body);
      const data = Buffer.from(JSON.stringify(signed).replace(/\s/g, ''), 'utf8');
      const ok = crypto.verify(
        'sha256',
        data,
        { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 384 - 32 - 2 },
        Buffer.from(signature, 'base64'),
      );
      res.status(ok ? 200 : 401).end();
    });
    break;
  }
  default:
    throw new Error(`unknown bench server kind ${kind}`);
}
app.use((err, _req, res, _next) => {
  res.status(err.status ?? 500).json({ code: err.code ?? 'UNEXPECTED' });
});

const server = http.createServer({ keepAliveTimeout: 30_000 }, app);
server.listen(0, '127.0.0.1', () => {
  process.send({ type: 'listening', port: server.address().port, pid: process.pid });
});
process.on('message', (message) => {
  if (message && message.type === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send({ type: 'cpu', micros: user + system });
  }
  if (message && message.type === 'rss') {
    if (typeof globalThis.gc === 'function') globalThis.gc();
    process.send({ type: 'rss', rss: process.memoryUsage().rss });
  }
});
process.on('disconnect', () => process.exit(0));
