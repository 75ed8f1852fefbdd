import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';

/** A response read off a real socket. */
export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Serves `app` on 127.0.0.1 for the duration of `use`. */
export async function withServer<T>(
  app: RequestListener,
  use: (origin: { port: number }) => Promise<T>,
): Promise<T> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await use({ port: (server.address() as AddressInfo).port });
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * Sends a request byte for byte as given (supertest re-encodes Buffer bodies). `body` is
 * written in `chunks` if given; `end: false` leaves the request unfinished, so a response
 * proves the server decided without the rest of the body.
 */
export function send(
  port: number,
  options: {
    headers: Record<string, string | number>;
    body?: Buffer | string;
    chunks?: Array<Buffer | string>;
    end?: boolean;
    path?: string;
  },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: options.path ?? '/hook',
        headers: options.headers,
        agent: false,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(parts).toString(),
          });
          req.destroy();
        });
        res.on('error', reject);
      },
    );
    // The server may close the socket once it has answered an unfinished request.
    req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
    for (const chunk of options.chunks ?? []) req.write(chunk);
    if (options.body !== undefined) req.write(options.body);
    if (options.end !== false) req.end();
  });
}

/**
 * Writes a POST to a socket byte for byte, its header values as the given bytes (Node's
 * client would re-encode a non-ASCII string), and reads the response until the server
 * closes the connection.
 */
export function sendRawHeaders(
  port: number,
  path: string,
  headers: ReadonlyArray<[name: string, value: Buffer | string]>,
  body = '',
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const parts: Buffer[] = [];
    socket.on('data', (part: Buffer) => parts.push(part));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(parts).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n');
      const received: http.IncomingHttpHeaders = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        received[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({
        status: Number(statusLine.split(' ')[1]),
        headers: received,
        body: Buffer.from(text.slice(split + 4), 'latin1').toString('utf8'),
      });
    });
    const head = Buffer.concat([
      Buffer.from(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n`),
      ...headers.map(([name, value]) =>
        Buffer.concat([Buffer.from(`${name}: `), Buffer.from(value), Buffer.from('\r\n')]),
      ),
      Buffer.from(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`),
    ]);
    socket.end(Buffer.concat([head, Buffer.from(body)]));
  });
}
