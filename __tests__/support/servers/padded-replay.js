// One genuine age verification notification, then 600 replays of it with ~30,000 U+00A0
// characters padding its `id` (a 60 KB body that a whitespace-stripped signature still
// covers), through verifySignature() + deduplicate() + stateRouter() of the compiled
// package (dist/), in a process of its own run with --expose-gc. Prints one JSON line:
// { handled, statuses, heapGrowth, usedMemoryGrowth? }.
//   PADDED_REPLAY_CONFIG='{"privateKey":"…pem","publicKey":"…pem","redisUrl":"redis://…"}'
'use strict';
const http = require('node:http');
const { constants, sign } = require('node:crypto');
const express = require('express');
const {
  deduplicate,
  MemoryStore,
  RedisStore,
  rawBody,
  stateRouter,
  verifySignature,
} = require('../../../dist');

const config = JSON.parse(process.env.PADDED_REPLAY_CONFIG);
const REPLAYS = 600;

const genuine = {
  method: 'AGE_ESTIMATION',
  result: true,
  age: 30,
  session_key: '69db8ad4-c983-40b3-b95a-a8fa576e70a6',
  id: '2480375e-ddc0-4832-9b82-b1d14af5cf75',
  timestamp: 1613482863,
  evidence_id: 'da4070de-3d34-44d7-86d4-7d6fdf547740',
  state: 'COMPLETE',
  check_type: 'NONE',
  sequence_number: 1,
};
const { sequence_number: _n, ...signed } = genuine;
const signature = sign('sha256', Buffer.from(JSON.stringify(signed).replace(/\s/g, '')), {
  key: config.privateKey,
  padding: constants.RSA_PKCS1_PSS_PADDING,
  saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN,
}).toString('base64');
const text = JSON.stringify({ ...genuine, signature });

function post(port, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { port, method: 'POST', path: '/age', headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function main() {
  let client;
  let store = new MemoryStore();
  if (config.redisUrl) {
    const { createClient } = require('redis');
    client = createClient({ url: config.redisUrl });
    await client.connect();
    await client.flushDb();
    store = new RedisStore({ client, prefix: `padded-replay:${process.pid}:` });
  }
  let handled = 0;
  const app = express();
  app.post(
    '/age',
    rawBody(),
    verifySignature({ publicKey: config.publicKey }),
    deduplicate({ store }),
    stateRouter().on('COMPLETE', () => {
      handled++;
    }),
  );
  app.use((err, _req, res, _next) => res.status(err.status ?? 500).end());
  const server = http.createServer(app);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();

  const usedMemory = async () =>
    client ? Number(/used_memory:(\d+)/.exec(await client.info('memory'))[1]) : 0;
  const statuses = {};
  const count = (status) => (statuses[status] = (statuses[status] ?? 0) + 1);
  count(await post(port, text));
  globalThis.gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const redisBefore = await usedMemory();
  for (let i = 0; i < REPLAYS; i++) {
    // Each variant a different padding, as an attacker would make them.
    const pad = '\u00a0'.repeat(30_000 + i);
    count(await post(port, text.replace(genuine.id, genuine.id + pad)));
  }
  globalThis.gc();
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
  const usedMemoryGrowth = (await usedMemory()) - redisBefore;
  server.close();
  if (client) await client.quit();
  process.stdout.write(JSON.stringify({ handled, statuses, heapGrowth, usedMemoryGrowth }) + '\n');
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack) + '\n');
  process.exit(1);
});
