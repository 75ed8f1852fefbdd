import type { RequestListener, Server } from 'node:http';
import type { SuperTestStatic, Test } from 'supertest';
import { authorizationHeader } from './authorization-header';
import type { TestAuth } from './authorization-header';

/** Options of {@link deliver}. */
export interface DeliverOptions {
  /** The session's notification credentials; sets the `Authorization` header Yoti would send. */
  auth?: TestAuth;
  /** More request headers; these win over the defaults (e.g. another `Content-Type`). */
  headers?: Readonly<Record<string, string>>;
}

/** What `deliver` posts to: an Express app (or any request listener), a server, or a URL. */
export type DeliverTarget = RequestListener | Server | string;

let supertest: SuperTestStatic | undefined;

// supertest is an optional peer dependency: load it on first use, so that the rest of the
// testing entry works without it.
function loadSupertest(): SuperTestStatic {
  if (supertest === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      supertest = require('supertest') as SuperTestStatic;
    } catch (cause) {
      throw new Error(
        'deliver() needs supertest, an optional peer dependency: npm install --save-dev supertest',
        { cause },
      );
    }
  }
  return supertest;
}

/**
 * POSTs a notification to `path` on `app` as Yoti would: the payload as a JSON string body
 * (a string payload is sent as is, byte for byte), `Content-Type: application/json`, and
 * the `Authorization` header of `opts.auth`. Returns the supertest request, so that
 * assertions chain on it. Needs `supertest` installed (an optional peer dependency).
 *
 * @throws {Error} when supertest is not installed (with the command that installs it).
 * @throws {TypeError} for a bad `auth`, as {@link authorizationHeader} (unknown scheme,
 *   empty token, a Promise, a Bearer token with whitespace at either end or a control
 *   character), before anything is sent.
 * @example
 * await deliver(app, '/yoti/idv', mockIdvNotification('session_completion'), {
 *   auth: { scheme: 'bearer', token: process.env.YOTI_NOTIFY_TOKEN! },
 * }).expect(200);
 */
export function deliver(
  app: DeliverTarget,
  path: string,
  payload: object | string,
  opts: DeliverOptions = {},
): Test {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (opts.auth !== undefined) headers.Authorization = authorizationHeader(opts.auth);
  let test = loadSupertest()(app).post(path);
  for (const [name, value] of Object.entries({ ...headers, ...opts.headers })) {
    test = test.set(name, value);
  }
  return test.send(body);
}
