import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createSignatureVerifier } from '../core/age-verification';
import type { SignatureVerifierOptions } from '../core/age-verification';
import { RawBodyUnavailableError } from '../core/errors';
import './request';

/**
 * Verifies an age verification notification's RSA-PSS signature over `req.rawBody` (from
 * `rawBody()`) and puts the validated, frozen notification on `req.notification`, and how
 * it verified (key index, key thumbprint, canonicalization) on `req.notificationSignature`.
 *
 * Keys are read once, here; verification is one RSA operation per candidate key and
 * canonicalization. Errors: 400 `PAYLOAD_MALFORMED`, 401 `SIGNATURE_MISSING`,
 * 401 `SIGNATURE_INVALID`, 400 `PAYLOAD_INVALID`, 401 `NOTIFICATION_EXPIRED` (with
 * `maxAgeSeconds`), 500 `RAW_BODY_UNAVAILABLE` when `rawBody()` did not run first.
 *
 * @throws {TypeError} at setup: an unreadable, private, non-RSA or short key; an unknown
 *   canonicalization; a bad `maxAgeSeconds` or `now`.
 * @example
 * app.post('/yoti/age', rawBody(), verifySignature(), stateRouter().on('COMPLETE', grant));
 */
export function verifySignature(options: SignatureVerifierOptions = {}): RequestHandler {
  const verify = createSignatureVerifier(options, 'verifySignature');
  return function verifySignatureMiddleware(req: Request, res: Response, next: NextFunction): void {
    if (!Buffer.isBuffer(req.rawBody)) {
      return next(
        new RawBodyUnavailableError('verifySignature() needs rawBody() mounted before it'),
      );
    }
    try {
      const { notification, ...signature } = verify(req.rawBody);
      req.notification = notification;
      req.notificationSignature = Object.freeze(signature);
    } catch (error) {
      return next(error);
    }
    next();
  };
}
