import express from 'express';
import {
  ageVerificationNotifications,
  idvNotifications,
  notificationErrorHandler,
} from 'express-yoti-notifications';

export const app = express();

// IDV session updates: Yoti sends the session's auth_token in an Authorization header.
app.use(
  '/yoti/idv',
  idvNotifications({
    auth: { scheme: 'basic', token: process.env.YOTI_NOTIFY_TOKEN ?? 'yoti:change-me' },
    handlers: {
      session_completion: async (req) => {
        console.log('session completed', req.notification.session_id);
      },
      check_completion: (req) => console.log('check completed', req.notification.check_id),
    },
    onUnknown: (req) => console.log('not handled', req.notification.topic),
  }),
  // Refusals as { code, message } JSON, with one log line each.
  notificationErrorHandler(),
);

// Age verification results: signed by Yoti (RSA-PSS); the published key is built in.
app.use(
  '/yoti/age',
  ageVerificationNotifications({
    handlers: {
      COMPLETE: (req) => console.log('age verified', req.notification.session_key),
      FAIL: (req) => console.log('attempt failed', req.notification.evidence_id),
    },
  }),
  notificationErrorHandler(),
);

export const server = app.listen(Number(process.env.PORT ?? 3000));
