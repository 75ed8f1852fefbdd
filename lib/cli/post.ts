import http from 'node:http';
import https from 'node:https';
import { CliError } from './cli-error';
import type { CliIo } from './cli-error';

/** Response headers worth showing for a notification endpoint. */
const SHOWN_HEADERS = ['content-type', 'www-authenticate', 'retry-after'];

/** Bytes of response body kept for printing; an endpoint's answer is short. */
const MAX_SHOWN_BODY = 64 * 1024;

/** What the server answered. */
export interface PostResult {
  readonly status: number;
  readonly ok: boolean;
}

/**
 * POSTs the body, prints the request, then the answer's status, headers of interest and
 * body. Credentials are not printed, only their scheme. node:http rather than fetch:
 * fetch refuses some ports (6000, 6667, …) that a local server may well use.
 *
 * @throws {CliError} when no answer came: refused connection, unknown host, timeout.
 */
export function postNotification(
  url: URL,
  body: string,
  headers: Readonly<Record<string, string>>,
  timeoutMs: number,
  io: CliIo,
): Promise<PostResult> {
  const requestHeaders: Record<string, string | number> = {
    'Content-Type': 'application/json',
    ...headers,
    'Content-Length': Buffer.byteLength(body),
  };
  io.stdout(`> POST ${url.href}\n`);
  for (const [name, value] of Object.entries(requestHeaders)) {
    const text = String(value);
    const shown = name.toLowerCase() === 'authorization' ? `${text.split(' ')[0]} …` : text;
    io.stdout(`> ${name.toLowerCase()}: ${shown}\n`);
  }
  io.stdout(`> ${body}\n`);

  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(url, { method: 'POST', headers: requestHeaders });
    const timer = setTimeout(() => {
      request.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' }));
    }, timeoutMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(new CliError(`send: ${describeFailure(url, error, timeoutMs)}`, { cause: error }));
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      response.on('data', (chunk: Buffer) => {
        if (kept < MAX_SHOWN_BODY) chunks.push(chunk);
        kept += chunk.length;
      });
      response.on('end', () => {
        clearTimeout(timer);
        const status = response.statusCode ?? 0;
        io.stdout(`< ${status} ${response.statusMessage ?? ''}\n`);
        for (const name of SHOWN_HEADERS) {
          const value = response.headers[name];
          if (value !== undefined) io.stdout(`< ${name}: ${String(value)}\n`);
        }
        const text = Buffer.concat(chunks).subarray(0, MAX_SHOWN_BODY).toString('utf8');
        if (text.length > 0) io.stdout(`\n${text}${text.endsWith('\n') ? '' : '\n'}`);
        if (kept > MAX_SHOWN_BODY) io.stdout(`[… ${kept - MAX_SHOWN_BODY} more bytes]\n`);
        resolve({ status, ok: status >= 200 && status < 300 });
      });
    });
    request.end(body);
  });
}

function describeFailure(url: URL, error: NodeJS.ErrnoException, timeoutMs: number): string {
  switch (error.code) {
    case 'TIMEOUT':
      return `no answer from ${url.host} within ${timeoutMs} ms`;
    case 'ECONNREFUSED':
      return `cannot connect to ${url.host}: connection refused (is the server running?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve host ${url.hostname}`;
    case 'ECONNRESET':
      return `${url.host} closed the connection without answering`;
    default:
      return `request to ${url.host} failed: ${error.message}`;
  }
}
