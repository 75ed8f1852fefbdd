// The working side of the process-level inbox tests, built from dist/, in its own process:
// inbox.work() with one handler for the IDV topics the tests send and the age verification
// states. Every run is recorded as a line of JSON appended to `recordFile` before the handler
// goes on and when it ends, { pid, key, attempt, outcome: 'start' | 'ok' | 'fail' }, with a
// synchronous write, so that the record is on disk even when the process is killed next.
// Talks over IPC:
//   → { type: 'ready', pid } once the worker is started
//   → { type: 'started', key, attempt } when a run begins (only with `announce`)
// Ends on disconnect: worker.close(), then the inbox. Config (INBOX_CHILD_CONFIG, JSON):
// { engine, queueName, recordFile, concurrency?, lockMs?, attempts?, backoff?, handlerMs?,
//   hang? (every run waits until the process is killed, at most 60 s), failFirstShare? }.
'use strict';
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const { closeInbox, createInbox, workOptions } = require('./inbox-engine');

/**
 * Whether a key's first run fails, decided by its hash, so that the test knows which keys
 * fail: `share` of the keys (0.05 for 5%).
 */
function failsOnFirstRun(key, share) {
  if (!share || key === undefined) return false;
  const head = createHash('sha256').update(key, 'utf8').digest().readUInt32BE(0);
  return head / 2 ** 32 < share;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function main() {
  const config = JSON.parse(process.env.INBOX_CHILD_CONFIG || '{}');
  const record = (job, outcome) =>
    fs.appendFileSync(
      config.recordFile,
      JSON.stringify({ pid: process.pid, key: job.key, attempt: job.attempt, outcome }) + '\n',
    );
  const handle = async (_notification, job) => {
    record(job, 'start');
    if (config.announce) process.send({ type: 'started', key: job.key, attempt: job.attempt });
    if (config.hang) await sleep(60_000);
    if (config.handlerMs) await sleep(config.handlerMs);
    if (job.attempt === 1 && failsOnFirstRun(job.key, config.failFirstShare)) {
      record(job, 'fail');
      throw new Error('fails on its first run');
    }
    record(job, 'ok');
  };
  const inbox = createInbox(config.engine, config.queueName, {
    ...(config.attempts !== undefined && { attempts: config.attempts }),
    ...(config.backoff !== undefined && { backoff: config.backoff }),
    ...(config.lockMs !== undefined && { lockMs: config.lockMs }),
  });
  const worker = inbox.work(
    {
      idv: { session_completion: handle, task_completion: handle, check_completion: handle },
      age: { COMPLETE: handle, FAIL: handle, ERROR: handle },
    },
    workOptions(config.engine, { concurrency: config.concurrency ?? 1, lockMs: config.lockMs }),
  );
  process.send({ type: 'ready', pid: process.pid });
  process.on('disconnect', () => {
    worker
      .close({ timeoutMs: 5_000 })
      .then(() => closeInbox(config.engine, inbox))
      .catch(() => undefined)
      .finally(() => process.exit(0));
  });
}

module.exports = { failsOnFirstRun };

if (require.main === module) main();
