// An Express app that receives both kinds of Yoti notifications. It reads like an
// application's own code: the package is required by name (run `npm run build` first).
const fs = require('node:fs');
const path = require('node:path');
const express = require('express');
const {
  idvNotifications,
  ageVerificationNotifications,
  NotificationError,
} = require('express-yoti-notifications');

/**
 * @param {object} options
 * @param {string} options.idvToken The IDV session's `auth_token` (`username:password`).
 * @param {string} [options.publicKey] PEM key to verify age verification signatures with.
 *   Production apps leave it out, to use Yoti's published key.
 * @param {(kind: string, notification: object) => void} options.onNotification
 */
function createApp({ idvToken, publicKey, onNotification }) {
  const app = express();

  // IDV: the session was created with notifications { auth_type: 'BASIC', auth_token: idvToken }.
  app.use(
    '/yoti/idv',
    idvNotifications({
      auth: { scheme: 'basic', token: idvToken },
      handlers: {
        session_completion: (req) => onNotification('session_completion', req.notification),
        check_completion: (req) => onNotification('check_completion', req.notification),
      },
      onUnknown: (req) => onNotification(`unhandled ${req.notification.topic}`, req.notification),
    }),
  );

  // Age verification: the signature in the body is the proof of origin.
  app.use(
    '/yoti/age',
    ageVerificationNotifications({
      publicKey,
      handlers: {
        COMPLETE: (req) => onNotification('age COMPLETE', req.notification),
        FAIL: (req) => onNotification('age FAIL', req.notification),
      },
      onUnknown: (req) => onNotification(`age ${req.notification.state}`, req.notification),
    }),
  );

  // Answer refused notifications with their stable code; anything else is a 500.
  app.use((err, req, res, next) => {
    if (!(err instanceof NotificationError)) return next(err);
    res
      .status(err.status)
      .set(err.headers ?? {})
      .json({ code: err.code });
  });
  return app;
}

/** The example's test public key (see keys/README.md). */
const EXAMPLE_PUBLIC_KEY = fs.readFileSync(path.join(__dirname, 'keys', 'public.pem'), 'utf8');

module.exports = { createApp, EXAMPLE_PUBLIC_KEY };

if (require.main === module) {
  const port = Number(process.env.PORT ?? 3000);
  createApp({
    idvToken: process.env.YOTI_NOTIFY_TOKEN ?? 'yoti:example-password',
    publicKey: EXAMPLE_PUBLIC_KEY,
    onNotification: (kind, notification) => console.log(kind, notification),
  }).listen(port, '127.0.0.1', () => console.log(`Listening on http://127.0.0.1:${port}`));
}
