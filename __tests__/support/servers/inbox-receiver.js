// The receiving side of the process-level inbox tests, built from dist/, in its own process:
// POST /idv stores each valid IDV notification with enqueue(inbox) and answers 200 once the
// engine confirmed it. Started with child_process.fork; talks over IPC:
//   → { type: 'listening', port, pid } once it accepts connections
// Ends on disconnect. Config (INBOX_CHILD_CONFIG, JSON): { engine, queueName, express: 4 | 5,
// timeoutMs?, retryAfterSeconds? }.
'use strict';
const http = require('node:http');
const path = require('node:path');
const { createInbox, closeInbox } = require('./inbox-engine');

const DIST = path.join(__dirname, '..', '..', '..', 'dist');
const config = JSON.parse(process.env.INBOX_CHILD_CONFIG || '{}');

function main() {
  const express = require(config.express === 4 ? 'express4' : 'express');
  const { enqueue, notificationErrorHandler, parseIdvNotification, rawBody } = require(DIST);
  const inbox = createInbox(config.engine, config.queueName, {
    ...(config.lockMs !== undefined && { lockMs: config.lockMs }),
  });
  const options = {
    ...(config.timeoutMs !== undefined && { timeoutMs: config.timeoutMs }),
    ...(config.retryAfterSeconds !== undefined && { retryAfterSeconds: config.retryAfterSeconds }),
  };
  const app = express();
  app.post('/idv', rawBody(), parseIdvNotification(), enqueue(inbox, options));
  // Quiet: 503s are expected here.
  app.use(notificationErrorHandler({ log: () => undefined }));

  const server = http.createServer(app);
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => {
    process.send({ type: 'listening', port: server.address().port, pid: process.pid });
  });
  process.on('disconnect', () => {
    server.closeAllConnections();
    server.close();
    closeInbox(config.engine, inbox)
      .catch(() => undefined)
      .finally(() => process.exit(0));
  });
}

main();
