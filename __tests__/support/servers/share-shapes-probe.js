// Run as `node --allow-natives-syntax share-shapes-probe.js <express|express4> <chain>`:
// serves POST /hook with one chain, sends it requests over loopback, and prints as JSON, for
// the last pairs of requests handled at the same time, in how many both requests (both
// responses) have fast (per-object) properties, and in how many they share a hidden class.
// Chains: `reference` (express.json() and a 200, no package middleware), and one per
// middleware of the built package that sets fields on the request.
'use strict';
const http = require('node:http');
const path = require('node:path');

const [expressName, chain] = process.argv.slice(2);
const express = require(expressName);
const pkg = require(path.join(__dirname, '..', '..', '..', 'dist'));
const { mockAgeVerificationNotification, createTestSigner } = require(
  path.join(__dirname, '..', '..', '..', 'dist', 'testing'),
);

// V8 intrinsics, only parsed when node runs with --allow-natives-syntax.
const hasFastProperties = new Function('object', 'return %HasFastProperties(object)');
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)');

const TOKEN = 'probe:token';
const PAIRS = 30;
// The pairs looked at: the last ones, once every layer has warmed up.
const SAMPLE = 10;
const IDV_BODY = JSON.stringify({ session_id: 's', topic: 'session_completion' });
// Requests come in pairs, at the same time, and the handler holds the first of a pair until
// the second arrives, so that both are looked at in the same state: whether they have fast
// properties, and whether the two requests share a hidden class, and the two responses.
const pairs = [];
let waiting;
// The last layer of every chain: looks at the objects and, when no router does, answers 200.
const capture = (req, res) =>
  new Promise((resolve) => {
    if (waiting === undefined) {
      waiting = { req, res, release: resolve };
      return;
    }
    const first = waiting;
    waiting = undefined;
    pairs.push({
      requestsFast: hasFastProperties(first.req) && hasFastProperties(req),
      responsesFast: hasFastProperties(first.res) && hasFastProperties(res),
      requestsShare: haveSameMap(first.req, req),
      responsesShare: haveSameMap(first.res, res),
    });
    first.release();
    resolve();
  }).then(() => {
    if (!res.headersSent) res.status(200).end();
  });
// An application's own layers that hand the package what an earlier layer would have.
const keepBodyAsRawBody = (req, _res, next) => {
  req.rawBody = req.body;
  next();
};
const keepBodyAsNotification = (req, _res, next) => {
  req.notification = req.body;
  next();
};

// Each chain holds one of the package's middlewares, after which it is named, so that the
// probe sees what that one does; the application's own layers hand it what it needs.
async function mount(app) {
  switch (chain) {
    case 'reference':
      app.post('/hook', express.json(), capture);
      return { body: IDV_BODY };
    case 'authHeader':
      app.post('/hook', pkg.authHeader({ scheme: 'basic', token: TOKEN }), capture);
      return { body: IDV_BODY, authorization: 'Basic ' + Buffer.from(TOKEN).toString('base64') };
    case 'authHeader (jwt)': {
      const secret = 'probe secret, thirty-two bytes long';
      const jwt = await pkg.createNotificationToken({ secret, expiresIn: '1h' });
      app.post('/hook', pkg.authHeader({ scheme: 'bearer', jwt: { secret } }), capture);
      return { body: IDV_BODY, authorization: `Bearer ${jwt}` };
    }
    case 'rawBody':
      app.post('/hook', pkg.rawBody(), capture);
      return { body: IDV_BODY };
    case 'keepRawBody':
      app.post('/hook', express.json({ verify: pkg.keepRawBody }), capture);
      return { body: IDV_BODY };
    case 'parseIdvNotification':
      app.post(
        '/hook',
        express.raw({ type: 'application/json' }),
        keepBodyAsRawBody,
        pkg.parseIdvNotification(),
        capture,
      );
      return { body: IDV_BODY };
    case 'verifySignature': {
      const signer = await createTestSigner();
      app.post(
        '/hook',
        express.raw({ type: 'application/json' }),
        keepBodyAsRawBody,
        pkg.verifySignature({ publicKey: signer.publicKey }),
        capture,
      );
      return { body: signer.signedBody(mockAgeVerificationNotification({ state: 'COMPLETE' })) };
    }
    case 'deduplicate':
      app.post(
        '/hook',
        express.json(),
        keepBodyAsNotification,
        pkg.deduplicate({ store: new pkg.MemoryStore(), key: () => undefined }),
        capture,
      );
      return { body: IDV_BODY };
    default:
      throw new Error(`unknown chain ${chain}`);
  }
}

async function main() {
  const app = express();
  const request = await mount(app);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const statuses = [];
  for (let i = 0; i < PAIRS; i++) {
    const port = server.address().port;
    statuses.push(...(await Promise.all([post(port, request), post(port, request)])));
  }
  server.close();
  const sample = pairs.slice(-SAMPLE);
  const count = (field) => sample.filter((pair) => pair[field]).length;
  console.log(
    JSON.stringify({
      statuses: [...new Set(statuses)],
      pairs: pairs.length,
      requests: { fast: count('requestsFast'), shareHiddenClass: count('requestsShare') },
      responses: { fast: count('responsesFast'), shareHiddenClass: count('responsesShare') },
    }),
  );
}

function post(port, { body, authorization }) {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json' };
    if (authorization) headers.authorization = authorization;
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/hook', headers });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
