// Run as `node --allow-natives-syntax request-shape-probe.js <express|express4> <chain>`:
// serves POST /hook with one chain, sends it requests over loopback, and prints as JSON
// whether the requests and responses the handler saw kept fast (per-object) properties and
// whether two of them share one hidden class. Chains: `reference` (express.json() and a 200),
// `idv` (the built package's IDV chain), `age` (rawBody + verifySignature + stateRouter).
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
const seen = [];
const responses = [];
const capture = (req, res) => {
  seen.push(req);
  responses.push(res);
  if (!res.headersSent && chain === 'reference') res.status(200).end();
};

async function main() {
  const app = express();
  let request;
  if (chain === 'reference') {
    app.post('/hook', express.json(), capture);
    request = { body: JSON.stringify({ session_id: 's', topic: 'session_completion' }) };
  } else if (chain === 'idv') {
    app.post(
      '/hook',
      pkg.authHeader({ scheme: 'basic', token: TOKEN }),
      pkg.rawBody(),
      pkg.parseIdvNotification(),
      pkg.topicRouter().on('session_completion', capture),
    );
    request = {
      body: JSON.stringify({ session_id: 's', topic: 'session_completion' }),
      authorization: 'Basic ' + Buffer.from(TOKEN).toString('base64'),
    };
  } else if (chain === 'age') {
    const signer = await createTestSigner();
    app.post(
      '/hook',
      pkg.rawBody(),
      pkg.verifySignature({ publicKey: signer.publicKey }),
      pkg.stateRouter().on('COMPLETE', capture),
    );
    request = { body: signer.signedBody(mockAgeVerificationNotification({ state: 'COMPLETE' })) };
  } else {
    throw new Error(`unknown chain ${chain}`);
  }
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const statuses = [];
  for (let i = 0; i < 40; i++) {
    statuses.push(await post(server.address().port, request));
  }
  server.close();
  const [a, b] = seen.slice(-2);
  const [resA, resB] = responses.slice(-2);
  console.log(
    JSON.stringify({
      statuses: [...new Set(statuses)],
      handled: seen.length,
      fastProperties: hasFastProperties(b),
      sharedHiddenClass: haveSameMap(a, b),
      responseFastProperties: hasFastProperties(resB),
      responsesSharedHiddenClass: haveSameMap(resA, resB),
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
