// Child processes for the process-level inbox tests: receivers and workers built from dist/
// (see servers/inbox-receiver.js and servers/inbox-worker.js), what the workers recorded, and
// a small HTTP client for loopback requests.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const SERVERS = path.join(__dirname, 'servers');
const DIST = path.join(__dirname, '..', '..', 'dist', 'index.js');

/** A running child: its process, its port (receivers) and every IPC message it sent. */
export interface Child {
  readonly child: ChildProcess;
  readonly port: number;
  readonly messages: Array<{ type?: string; key?: string; attempt?: number }>;
}

/**
 * Forks `servers/inbox-<role>.js` with `config` (and `env` on top of this process's) and
 * resolves once it says it is ready (`listening` or `ready`), within 20 s.
 */
export function startChild(
  role: 'receiver' | 'worker',
  config: Record<string, unknown>,
  env: Record<string, string> = {},
): Promise<Child> {
  if (!existsSync(DIST)) throw new Error('dist/ is missing: run npm run build (npm test does)');
  const child = fork(path.join(SERVERS, `inbox-${role}.js`), [], {
    env: { ...process.env, ...env, INBOX_CHILD_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: Child['messages'] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${role} did not start within 20 s`));
    }, 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${role} exited with ${code}`));
    });
    child.on('message', (message: { type?: string; port?: number }) => {
      messages.push(message);
      if (message.type === 'listening' || message.type === 'ready') {
        clearTimeout(timer);
        resolve({ child, port: message.port ?? 0, messages });
      }
    });
  });
}

/** Ends a child: disconnects it (it closes itself), SIGKILL after 10 s. */
export function stopChild({ child }: Child): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.disconnect();
    else child.kill('SIGTERM');
  });
}

/** Kills a child with SIGKILL and waits for it to exit. */
export function killChild({ child }: Child): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** One run of a handler, as a worker recorded it. */
export interface RunRecord {
  pid: number;
  key: string;
  attempt: number;
  outcome: 'start' | 'ok' | 'fail';
}

/** Every record of every worker writing into `dir` (`*.jsonl`). */
export function readRecords(dir: string): RunRecord[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.jsonl'))
    .flatMap((name) =>
      readFileSync(path.join(dir, name), 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as RunRecord),
    );
}

/** Successful runs per key. */
export function completions(records: readonly RunRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const record of records) {
    if (record.outcome === 'ok') counts.set(record.key, (counts.get(record.key) ?? 0) + 1);
  }
  return counts;
}

/** Polls `check` every 50 ms until it holds, at most `ms`; throws `what` after that. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 30_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** What {@link post} got back. */
export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
}

/**
 * POSTs JSON to 127.0.0.1:`port` over `agent` (keep-alive); a network error or no answer
 * within `timeoutMs` resolves with status 0.
 */
export function post(
  port: number,
  urlPath: string,
  body: string,
  agent: http.Agent,
  timeoutMs = 10_000,
): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (answer: Omit<Answer, 'ms'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...answer, ms: performance.now() - started });
    };
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: urlPath,
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          done({ status: response.statusCode ?? 0, headers: response.headers, body: text }),
        );
        response.on('error', () => done({ status: 0, headers: {}, body: '' }));
      },
    );
    request.setTimeout(timeoutMs, () => request.destroy());
    request.on('error', () => done({ status: 0, headers: {}, body: '' }));
    request.end(body);
  });
}

/** An IDV task_completion notification's body and its de-duplication key. */
export function taskCompletion(sessionId: string, taskId: string): { key: string; body: string } {
  return {
    key: `idv:${sessionId}:task_completion:${taskId}`,
    body: JSON.stringify({ session_id: sessionId, task_id: taskId, topic: 'task_completion' }),
  };
}
