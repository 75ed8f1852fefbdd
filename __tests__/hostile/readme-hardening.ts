import type { Server } from 'node:http';
import type { Express } from 'express';

export function serve(app: Express, port: number): Server {
  const server = app.listen(port);
  // A notification is a few hundred bytes: a client still sending after 30 s is not Yoti.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  return server;
}
