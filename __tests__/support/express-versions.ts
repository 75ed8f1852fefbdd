import express5 from 'express';
import express4 from 'express4';
import type { ErrorRequestHandler, Express, RequestHandler } from 'express';

/** Both supported majors of Express, for `describe.each`. */
export const EXPRESS_VERSIONS: ReadonlyArray<[name: string, factory: typeof express5]> = [
  ['express 5', express5],
  ['express 4', express4],
];

/**
 * An error handler that answers with the error's stable code, so tests can assert it.
 * Production apps may use Express's default one: see the tests that do.
 */
export const codeErrorHandler: ErrorRequestHandler = (err, _req, res, _next) => {
  res
    .status(err.status ?? 500)
    .set(err.headers ?? {})
    .json({ code: err.code ?? 'UNEXPECTED', message: err.message });
};

/** An app with the chain mounted at POST /hook and, optionally, the code error handler. */
export function appWith(
  factory: typeof express5,
  chain: RequestHandler[],
  options: { codes?: boolean } = { codes: true },
): Express {
  const app = factory();
  app.post('/hook', ...chain);
  if (options.codes !== false) app.use(codeErrorHandler);
  return app;
}

/** `Authorization: Basic …` as Yoti builds it from a session's auth_token. */
export function basic(token: string): string {
  return 'Basic ' + Buffer.from(token, 'utf8').toString('base64');
}
