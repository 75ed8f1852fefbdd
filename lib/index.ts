export * from './core/errors';
export { IDV_TOPICS, IDV_TOPIC_ID_FIELDS, isKnownTopic } from './core/idv-notification';
export type {
  IdvTopic,
  IdvNotification,
  IdvNotificationOf,
  UnknownIdvNotification,
  ResourceUpdateNotification,
  TaskCompletionNotification,
  CheckCompletionNotification,
  SessionCompletionNotification,
} from './core/idv-notification';
export { AGE_VERIFICATION_STATES } from './core/age-verification-notification';
export type {
  AgeVerificationNotification,
  AgeVerificationNotificationOf,
  AgeVerificationState,
  OpenString,
} from './core/age-verification-notification';
export type { Notification } from './core/notification';
export type { AuthScheme } from './core/auth';
export { canonicalString } from './core/canonical-string';
export type {
  Canonicalization,
  CanonicalizationName,
  CanonicalizationFunction,
} from './core/canonical-string';
export { createSignatureVerifier } from './core/age-verification';
export type {
  SignatureMatch,
  SignatureVerifierOptions,
  VerifiedAgeVerification,
} from './core/age-verification';
export { YOTI_AGE_VERIFICATION_PUBLIC_KEY } from './core/yoti-public-key';
export { createNotificationToken } from './core/notification-token';
export type { KeyInput } from './core/key-import';
export type {
  Secret,
  NotificationTokenOptions,
  NotificationTokenVerifyOptions,
} from './core/notification-token';
export { idvNotificationConfig } from './core/notification-config';
export type {
  IdvNotificationConfig,
  IdvNotificationConfigOptions,
} from './core/notification-config';

export type { NotificationAuth, NotificationHandler, NotificationRequest } from './express/request';
export { rawBody, keepRawBody } from './express/raw-body';
export type { RawBodyOptions } from './express/raw-body';
export { authHeader } from './express/auth-header';
export type {
  AuthHeaderOptions,
  TokenSource,
  TokenRequest,
  ResolvedTokens,
} from './express/auth-header';
export { parseIdvNotification } from './express/parse-idv-notification';
export { verifySignature } from './express/verify-signature';
export { topicRouter } from './express/topic-router';
export type { TopicRouter, TopicRouterOptions, IdvTopicName } from './express/topic-router';
export { stateRouter } from './express/state-router';
export type {
  StateRouter,
  StateRouterOptions,
  AgeVerificationStateName,
} from './express/state-router';
export { notificationErrorHandler } from './express/error-handler';
export type { NotificationErrorHandlerOptions, RejectionRecord } from './express/error-handler';
export { idvNotifications, ageVerificationNotifications } from './express/presets';
export type {
  IdvHandlers,
  IdvNotificationsOptions,
  AgeVerificationHandlers,
  AgeVerificationNotificationsOptions,
  NotificationChain,
} from './express/presets';
export { MAX_STORED_KEY_LENGTH, storedKey } from './core/deduplication-store';
export type { ClaimResult, DeduplicationStore } from './core/deduplication-store';
export { defaultDeduplicationKey } from './core/deduplication-key';
export type { DeduplicationKey } from './core/deduplication-key';
export type { SettleFailure } from './core/claim-protocol';
export { MemoryStore } from './core/memory-store';
export type { MemoryStoreOptions } from './core/memory-store';
export { RedisStore } from './core/redis-store';
export type { RedisClientLike, RedisStoreOptions } from './core/redis-store';
export { deduplicate } from './express/deduplicate';
export type { DeduplicateOptions } from './express/deduplicate';
export { enqueue } from './express/enqueue';
export type { EnqueueOptions } from './express/enqueue';
export { createInboxDispatch } from './core/inbox';
export type {
  FailedEntry,
  Inbox,
  InboxEntry,
  InboxHandler,
  InboxHandlers,
  InboxWorker,
  JobContext,
  NotificationKind,
  StoreOutcome,
  WorkOptions,
} from './core/inbox';
