export { createSessionFetcher, defaultVerdict, SessionFetchError } from './session-fetcher';
export type {
  GetSessionResult,
  SessionCheck,
  SessionClient,
  SessionFetchErrorCode,
  SessionFetcherOptions,
  SessionSummary,
  Verdict,
} from './session-fetcher';
