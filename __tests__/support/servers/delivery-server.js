// A notification receiver in its own process, built from the compiled package (dist/), for
// the delivery simulation. Started with child_process.fork; talks to its parent over IPC:
//   → { type: 'listening', port, pid } once it accepts connections
//   ← { type: 'stats' }  → { type: 'stats', pid, completed, reached, failures, requests }
// Handlers fail (throw or reject) at random, from a seeded generator, so that redelivery
// is exercised; every handler call is recorded, so that the parent can prove that no
// invalid notification ever reached one.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const express = require('express');
const {
  ageVerificationNotifications,
  authHeader,
  idvNotifications,
  parseIdvNotification,
  rawBody,
  topicRouter,
} = require('../../../dist');

const config = JSON.parse(process.env.DELIVERY_SERVER_CONFIG || '{}');
const failureRate = config.failureRate ?? 0.05;
const basicToken = config.basicToken ?? 'yoti:notify';
const publicKey = fs.readFileSync(
  path.resolve(__dirname, '../../fixtures/age-verification/rsa-2048-public.pem'),
  'utf8',
);

const { prng } = require('../prng');
const random = prng(config.seed ?? 1);

const completed = new Map(); // notification id → completed handler runs
const reached = new Set(); // every notification id a handler ever saw
let failures = 0;
let requests = 0;

/** A handler that fails at random, half of the time by throwing, half by rejecting. */
function handlerFor(idOf) {
  return (req) => {
    const id = idOf(req.notification);
    reached.add(id);
    const roll = random();
    if (roll < failureRate / 2) {
      failures++;
      throw new Error('handler failed (sync)');
    }
    if (roll < failureRate) {
      failures++;
      return Promise.reject(new Error('handler failed (async)'));
    }
    const finish = () => completed.set(id, (completed.get(id) ?? 0) + 1);
    if (roll < 0.5) return finish();
    return new Promise((resolve) => setImmediate(resolve)).then(finish);
  };
}

const idvHandler = handlerFor((n) => n.session_id);
const ageHandler = handlerFor((n) => n.id);
const auth = { scheme: 'basic', token: basicToken };

const app = express();
app.use((_req, _res, next) => {
  requests++;
  next();
});
app.post(
  '/idv/preset',
  idvNotifications({
    auth,
    handlers: { session_completion: idvHandler, task_completion: idvHandler },
    onUnknown: idvHandler,
  }),
);
app.post(
  '/idv/chain',
  authHeader(auth),
  rawBody(),
  parseIdvNotification(),
  topicRouter().on(['resource_update', 'check_completion'], idvHandler).onUnknown(idvHandler),
);
app.post(
  '/age',
  ageVerificationNotifications({
    publicKey,
    handlers: { COMPLETE: ageHandler, FAIL: ageHandler },
    onUnknown: ageHandler,
  }),
);
app.use((err, _req, res, _next) => {
  res
    .status(err.status ?? 500)
    .set(err.headers ?? {})
    .json({ code: err.code ?? 'HANDLER_FAILED' });
});

const server = http.createServer({ keepAliveTimeout: 30_000, requestTimeout: 30_000 }, app);
server.listen(0, '127.0.0.1', () => {
  process.send({ type: 'listening', port: server.address().port, pid: process.pid });
});

process.on('message', (message) => {
  if (message && message.type === 'stats') {
    process.send({
      type: 'stats',
      pid: process.pid,
      completed: [...completed.keys()],
      reached: [...reached],
      failures,
      requests,
    });
  } else if (message && message.type === 'stop') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
// The parent going away ends this process too: no orphan servers.
process.on('disconnect', () => process.exit(0));
