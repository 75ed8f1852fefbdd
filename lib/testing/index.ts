export { mockIdvNotification } from './mock-idv-notification';
export type { IdvNotificationOverrides, MockIdvNotification } from './mock-idv-notification';
export { mockAgeVerificationNotification } from './mock-age-verification-notification';
export type {
  AgeVerificationOverrides,
  MockAgeVerificationNotification,
  UnsignedAgeVerificationNotification,
} from './mock-age-verification-notification';
export { createTestSigner } from './test-signer';
export type { SignedPayload, TestSigner, TestSignerOptions } from './test-signer';
export { authorizationHeader } from './authorization-header';
export type { TestAuth } from './authorization-header';
export { deliver } from './deliver';
export type { DeliverOptions, DeliverTarget } from './deliver';
