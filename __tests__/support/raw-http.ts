import http from 'node:http';
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
