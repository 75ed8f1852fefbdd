// Loads a server's route with fresh IDV notifications: every request carries a new task_id,
// so each one is a notification never seen before (stored, or claimed, once). From wrk when it
// is installed (see bench/wrk.js; a counter in its script numbers the requests), else from
// autocannon (setupRequest). With `rate` (requests per second in all) autocannon paces the
// load, since wrk cannot. Bounded in time by the loader's duration.
'use strict';
const { randomUUID } = require('node:crypto');
const autocannon = require('autocannon');
const { wrk, wrkAvailable } = require('./wrk');

/**
 * @returns {Promise<{ rps: number, total: number, p50: number, p99: number, non2xx: number, errors: number }>}
 */
async function freshNotifications({
  port,
  path = '/hook',
  basicToken,
  seconds,
  connections,
  rate,
}) {
  const session = randomUUID();
  const headers = {
    'content-type': 'application/json',
    authorization: 'Basic ' + Buffer.from(basicToken).toString('base64'),
  };
  const body = (n) => `{"session_id":"${session}","task_id":"t-${n}","topic":"task_completion"}`;
  if (rate === undefined && wrkAvailable()) {
    return wrk({ port, path, headers, template: body('%d'), seconds, connections });
  }
  let sequence = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    headers,
    ...(rate === undefined ? {} : { overallRate: rate }),
    requests: [
      {
        method: 'POST',
        path,
        setupRequest: (request) => {
          request.body = body(++sequence);
          return request;
        },
      },
    ],
  });
  return {
    rps: result.requests.mean,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

module.exports = { freshNotifications };
