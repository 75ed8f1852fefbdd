import type { IDVClient } from 'yoti';
import { NotificationError } from '../core/errors';
import { withTimeout } from '../core/timeout';

/** The SDK's session, as `IDVClient.getSession()` resolves it. */
export type GetSessionResult = Awaited<ReturnType<IDVClient['getSession']>>;

/** What {@link createSessionFetcher} needs of a client: `IDVClient.getSession`. */
export type SessionClient = Pick<IDVClient, 'getSession'>;

/** One check of the session, as the verdict reads it. */
export interface SessionCheck {
  readonly id: string;
  /** e.g. `ID_DOCUMENT_AUTHENTICITY`, `LIVENESS`. */
  readonly type: string;
  /** `DONE` once the check has a result (`CREATED`, `PENDING`, … before). */
  readonly state: string;
  /** `APPROVE`, `REJECT`, `NOT_AVAILABLE`; absent before the check is done. */
  readonly recommendation: string | undefined;
  /** Yoti's reason code for the recommendation, when it gives one. */
  readonly reason: string | undefined;
}

/** The outcome the fetcher works out from a session's checks. */
export type Verdict = 'approved' | 'rejected' | 'not_available' | 'pending';

/** What `fetchSession()` resolves with. */
export interface SessionSummary {
  readonly sessionId: string;
  /** The session's state: `COMPLETED`, `ONGOING`, `EXPIRED`, … */
  readonly state: string;
  readonly verdict: Verdict;
  readonly checks: readonly SessionCheck[];
  /** The SDK's own result, for everything else (documents, media, profiles). */
  readonly result: GetSessionResult;
}

/** Options of {@link createSessionFetcher}. */
export interface SessionFetcherOptions {
  /** A configured `new IDVClient(sdkId, pem)`; the SDK signs its requests. */
  client: SessionClient;
  /** Requests at most, the first included (default 5). */
  attempts?: number;
  /** Exponential backoff between attempts, with full jitter: `{ baseMs = 500, maxMs = 30_000 }`. */
  backoff?: { baseMs?: number; maxMs?: number };
  /**
   * The least wait after a 429, in ms (default 1,000). The SDK does not expose response
   * headers, so a `Retry-After` cannot be read; the wait is the larger of this and the backoff.
   */
  rateLimitedMs?: number;
  /** A request slower than this, in ms, counts as a transient failure (default 10,000). */
  timeoutMs?: number;
  /**
   * Retry while the session is not `COMPLETED` or a check is not `DONE`, as after
   * `session_completion` (default true); once attempts run out the verdict is `'pending'`.
   */
  waitForCompletion?: boolean;
  /** The verdict of a settled session, replacing the default rule ({@link defaultVerdict}). */
  verdict?: (checks: readonly SessionCheck[], result: GetSessionResult) => Verdict;
  /** How to wait, for tests (default a timer). */
  sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1) for the jitter (default `Math.random`). */
  random?: () => number;
}

/** Error codes of the session fetcher. */
export type SessionFetchErrorCode =
  'SESSION_FETCH_FAILED' | 'SESSION_NOT_FOUND' | 'SESSION_FETCH_REJECTED';

/**
 * The session could not be fetched. `retryable` says whether trying later may succeed:
 * `SESSION_FETCH_FAILED` (network errors, timeouts, 5xx, 429 after every attempt; status 503,
 * so an inline handler's failure makes Yoti deliver again, and an inbox job is retried) is;
 * `SESSION_NOT_FOUND` (404: the session was deleted) and `SESSION_FETCH_REJECTED` (another
 * 4xx) are not. The message never quotes the session or Yoti's response body.
 */
export class SessionFetchError extends NotificationError {
  /** Whether a later attempt may succeed. */
  readonly retryable: boolean;
  /** Requests made. */
  readonly attempts: number;
  /** The last HTTP status, when there was a response. */
  readonly responseStatus: number | undefined;
  constructor(
    code: SessionFetchErrorCode,
    message: string,
    details: { attempts: number; responseStatus: number | undefined; cause?: unknown },
  ) {
    super(code, code === 'SESSION_FETCH_FAILED' ? 503 : 500, message, {
      cause: details.cause,
    });
    this.retryable = code === 'SESSION_FETCH_FAILED';
    this.attempts = details.attempts;
    this.responseStatus = details.responseStatus;
  }
}

/**
 * The default verdict: `pending` until the session is `COMPLETED` and every check `DONE`;
 * then `rejected` if any recommendation is `REJECT`, `not_available` if any is
 * `NOT_AVAILABLE`, `approved` otherwise.
 *
 * @example
 * defaultVerdict('COMPLETED', [{ id: 'c', type: 'LIVENESS', state: 'DONE', recommendation: 'APPROVE', reason: undefined }]);
 * // → 'approved'
 */
export function defaultVerdict(state: string, checks: readonly SessionCheck[]): Verdict {
  if (!settled(state, checks)) return 'pending';
  if (checks.some((check) => check.recommendation === 'REJECT')) return 'rejected';
  if (checks.some((check) => check.recommendation === 'NOT_AVAILABLE')) return 'not_available';
  return 'approved';
}

function settled(state: string, checks: readonly SessionCheck[]): boolean {
  return state === 'COMPLETED' && checks.every((check) => check.state === 'DONE');
}

/**
 * Builds `fetchSession(sessionId)`: the session from Yoti through the official SDK, with
 * transient failures retried, and what it means. For `session_completion` handlers, inline
 * (`topicRouter()`) or in an inbox worker alike. Nothing from the session is logged.
 *
 * @throws {TypeError} at setup for a missing client, a Promise (did you forget await?), or a
 *   bad number; `fetchSession` rejects with a {@link SessionFetchError}.
 * @example
 * const fetchSession = createSessionFetcher({ client: new IDVClient(sdkId, pem) });
 * const session = await fetchSession(notification.session_id);
 * if (session.verdict === 'approved') await approve(session.sessionId);
 */
export function createSessionFetcher(
  options: SessionFetcherOptions,
): (sessionId: string) => Promise<SessionSummary> {
  const where = 'createSessionFetcher';
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${where}: options { client } are required`);
  }
  const { client } = options;
  if (typeof (client as { then?: unknown } | undefined)?.then === 'function') {
    throw new TypeError(`${where}: client is a Promise; did you forget await?`);
  }
  if (client === null || typeof client?.getSession !== 'function') {
    throw new TypeError(`${where}: client must be an IDVClient of the yoti package`);
  }
  const attempts = positive(options.attempts, 5, 'attempts', true);
  const baseMs = positive(options.backoff?.baseMs, 500, 'backoff.baseMs');
  const maxMs = positive(options.backoff?.maxMs, 30_000, 'backoff.maxMs');
  const rateLimitedMs = positive(options.rateLimitedMs, 1_000, 'rateLimitedMs');
  const timeoutMs = positive(options.timeoutMs, 10_000, 'timeoutMs');
  const waitForCompletion = options.waitForCompletion ?? true;
  const sleep = options.sleep ?? ((ms) => new Promise<void>((done) => setTimeout(done, ms)));
  const random = options.random ?? Math.random;
  const verdictOf =
    options.verdict ??
    ((checks: readonly SessionCheck[], result: GetSessionResult) =>
      defaultVerdict(result.getState(), checks));
  for (const [name, fn] of [
    ['verdict', verdictOf],
    ['sleep', sleep],
    ['random', random],
  ] as const) {
    if (typeof fn !== 'function') throw new TypeError(`${where}: ${name} must be a function`);
  }

  function positive(value: number | undefined, fallback: number, name: string, int = false) {
    if (value === undefined) return fallback;
    if (!(typeof value === 'number' && value > 0 && (int ? Number.isInteger(value) : true))) {
      throw new TypeError(`${where}: ${name} must be a positive ${int ? 'integer' : 'number'}`);
    }
    return value;
  }

  return async function fetchSession(sessionId: string): Promise<SessionSummary> {
    // The SDK puts the id into the request's path as it is: nothing but an id's characters.
    if (typeof sessionId !== 'string' || !SESSION_ID.test(sessionId)) {
      throw new TypeError(
        'fetchSession: sessionId must be a session id (letters, digits, "-" and "_", at most 128)',
      );
    }
    let pending: SessionSummary | undefined;
    let failure: { status: number | undefined; cause: unknown } | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let result: GetSessionResult | undefined;
      try {
        result = await withTimeout(
          client.getSession(sessionId),
          timeoutMs,
          `no response within ${timeoutMs} ms`,
        );
      } catch (error) {
        const status = statusOf(error);
        if (status === 404) {
          throw new SessionFetchError('SESSION_NOT_FOUND', 'The session was not found (404)', {
            attempts: attempt,
            responseStatus: status,
            cause: error,
          });
        }
        if (status !== undefined && status >= 400 && status < 500 && status !== 429) {
          throw new SessionFetchError(
            'SESSION_FETCH_REJECTED',
            `Yoti refused the session request (${status})`,
            { attempts: attempt, responseStatus: status, cause: error },
          );
        }
        failure = { status, cause: error };
        pending = undefined;
      }
      if (result !== undefined) {
        const summary = summarise(result, verdictOf);
        if (!waitForCompletion || settled(summary.state, summary.checks)) return summary;
        pending = { ...summary, verdict: 'pending' };
        failure = undefined;
      }
      if (attempt < attempts) {
        const backoff = random() * Math.min(maxMs, baseMs * 2 ** (attempt - 1));
        await sleep(failure?.status === 429 ? Math.max(rateLimitedMs, backoff) : backoff);
      }
    }
    if (pending !== undefined) return pending;
    throw new SessionFetchError(
      'SESSION_FETCH_FAILED',
      `The session could not be fetched after ${attempts} attempts` +
        (failure?.status === undefined ? '' : ` (last status ${failure.status})`),
      { attempts, responseStatus: failure?.status, cause: failure?.cause },
    );
  };
}

const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;

function summarise(
  result: GetSessionResult,
  verdictOf: (checks: readonly SessionCheck[], result: GetSessionResult) => Verdict,
): SessionSummary {
  const checks = result.getChecks().map((check): SessionCheck => {
    const recommendation = check.getReport()?.getRecommendation();
    return Object.freeze({
      id: check.getId(),
      type: check.getType(),
      state: check.getState(),
      recommendation: recommendation?.getValue(),
      reason: recommendation?.getReason(),
    });
  });
  return {
    sessionId: result.getSessionId(),
    state: result.getState(),
    verdict: verdictOf(checks, result),
    checks: Object.freeze(checks),
    result,
  };
}

/** The HTTP status of an SDK error, through its public `getResponseStatusCode()`. */
function statusOf(error: unknown): number | undefined {
  const read = (error as { getResponseStatusCode?: unknown } | null)?.getResponseStatusCode;
  if (typeof read !== 'function') return undefined;
  const status = read.call(error) as unknown;
  return typeof status === 'number' ? status : undefined;
}
