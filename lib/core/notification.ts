import type { AgeVerificationNotification } from './age-verification-notification';
import type { IdvNotification, UnknownIdvNotification } from './idv-notification';

/** Any notification this package attaches to `req.notification`. */
export type Notification = IdvNotification | UnknownIdvNotification | AgeVerificationNotification;
