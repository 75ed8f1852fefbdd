import http from 'node:http';

/**
 * One notification to deliver. `key` groups deliveries of the same logical notification: a
 * deliberate duplicate is another `Delivery` with the same `key` and `body`.
 */
export interface Delivery {
  key: string;
  path: string;
  body: string;
  headers?: Record<string, string>;
}

/** How {@link simulateDelivery} sends. */
export interface SimulatorOptions {
  /** Base URLs on 127.0.0.1, e.g. `'http://127.0.0.1:12345'`. */
  targets: readonly string[];
  deliveries: readonly Delivery[];
  /** In-flight requests at most, across every target. */
  concurrency: number;
  /** Attempts per delivery, the first one included. */
  maxAttempts: number;
  /** Jittered exponential backoff between attempts. Default `{ initialMs: 10, maxMs: 1000, factor: 2 }`. */
  backoff?: { initialMs: number; maxMs: number; factor?: number };
  /** A request without a complete response by then is aborted and retried. Default 10 s. */
  requestTimeoutMs?: number;
  /** The whole run stops by then and reports `timedOut`. */
  deadlineMs: number;
  /**
   * Index into `targets` for an attempt (`attempt` counts from 1). Default: round robin per
   * attempt, `(index + attempt - 1) % targets.length`, so a redelivery goes to the next target.
   */
  pickTarget?: (delivery: Delivery, attempt: number, index: number) => number;
  /**
   * Whether a status is worth another attempt. Default: any status other than 200 (Yoti
   * redelivers until 200). Network errors and timeouts are always retried.
   */
  retryOn?: (status: number) => boolean;
  /** Source of randomness for the jitter. Default `Math.random`. */
  random?: () => number;
}

/** What happened to one delivery. */
export interface DeliveryOutcome {
  key: string;
  /** Index in `deliveries`. */
  index: number;
  attempts: number;
  /** One entry per attempt: the HTTP status, or 0 for a network error or timeout. */
  statuses: number[];
  /** Whether an attempt was answered 200. */
  delivered: boolean;
}

/** The result of a run. */
export interface SimulatorReport {
  outcomes: DeliveryOutcome[];
  /** Responses by status (`'200'`, `'500'`, …), plus `'error'` and `'timeout'`. */
  statusCounts: Record<string, number>;
  elapsedMs: number;
  /** Whether `deadlineMs` passed before every delivery settled. */
  timedOut: boolean;
}

const DEFAULT_BACKOFF = { initialMs: 10, maxMs: 1000, factor: 2 };

/**
 * Delivers notifications the way Yoti does: POST over keep-alive connections with
 * `Content-Type: application/json`, redelivering until 200 with bounded, jittered
 * exponential backoff. Loopback only. Never rejects: failures are in the report.
 */
export function simulateDelivery(options: SimulatorOptions): Promise<SimulatorReport> {
  const { targets, deliveries, concurrency, maxAttempts, deadlineMs } = options;
  if (targets.length === 0) throw new TypeError('simulateDelivery: no targets');
  for (const target of targets) {
    const host = new URL(target).hostname;
    if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]') {
      throw new TypeError(`simulateDelivery: ${target} is not a loopback address`);
    }
  }
  if (!(concurrency >= 1) || !(maxAttempts >= 1) || !(deadlineMs > 0)) {
    throw new TypeError(
      'simulateDelivery: concurrency, maxAttempts and deadlineMs must be positive',
    );
  }
  const backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const pickTarget =
    options.pickTarget ??
    ((_delivery: Delivery, attempt: number, index: number) =>
      (index + attempt - 1) % targets.length);
  const retryOn = options.retryOn ?? ((status: number) => status !== 200);
  const random = options.random ?? Math.random;

  const agents = targets.map(
    () => new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency }),
  );
  const urls = targets.map((target) => new URL(target));
  const bodies = deliveries.map((delivery) => Buffer.from(delivery.body, 'utf8'));
  const outcomes: DeliveryOutcome[] = deliveries.map((delivery, index) => ({
    key: delivery.key,
    index,
    attempts: 0,
    statuses: [],
    delivered: false,
  }));
  const statusCounts: Record<string, number> = {};
  const count = (label: string) => (statusCounts[label] = (statusCounts[label] ?? 0) + 1);

  // FIFO of delivery indexes ready for their next attempt.
  const ready: number[] = deliveries.map((_delivery, index) => index);
  let head = 0;
  let inFlight = 0;
  let pending = deliveries.length;
  let finished = false;
  const live = new Set<http.ClientRequest>();
  const timers = new Set<NodeJS.Timeout>();
  const started = performance.now();

  return new Promise<SimulatorReport>((resolve) => {
    const finish = (timedOut: boolean) => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      for (const timer of timers) clearTimeout(timer);
      for (const request of live) request.destroy();
      for (const agent of agents) agent.destroy();
      resolve({ outcomes, statusCounts, elapsedMs: performance.now() - started, timedOut });
    };
    const deadline = setTimeout(() => finish(true), deadlineMs);

    const settle = (index: number, status: number) => {
      const outcome = outcomes[index]!;
      outcome.statuses.push(status);
      if (status === 200) outcome.delivered = true;
      const again = status === 0 || retryOn(status);
      if (again && outcome.attempts < maxAttempts) {
        const exponential = Math.min(
          backoff.maxMs,
          backoff.initialMs * backoff.factor ** (outcome.attempts - 1),
        );
        // "Equal jitter": at least half the exponential delay, at most all of it.
        const timer = setTimeout(
          () => {
            timers.delete(timer);
            ready.push(index);
            pump();
          },
          exponential / 2 + (random() * exponential) / 2,
        );
        timers.add(timer);
      } else {
        pending--;
      }
    };

    const attempt = (index: number) => {
      const delivery = deliveries[index]!;
      const outcome = outcomes[index]!;
      outcome.attempts++;
      const targetIndex = pickTarget(delivery, outcome.attempts, index);
      const url = urls[targetIndex];
      if (url === undefined) throw new RangeError(`pickTarget returned ${targetIndex}`);
      const body = bodies[index]!;
      inFlight++;
      let done = false;
      const end = (status: number, label: string) => {
        if (done || finished) return;
        done = true;
        live.delete(request);
        inFlight--;
        count(label);
        settle(index, status);
        if (pending === 0) finish(false);
        else pump();
      };
      const request = http.request(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: delivery.path,
          agent: agents[targetIndex],
          headers: {
            'content-type': 'application/json',
            'content-length': body.length,
            ...delivery.headers,
          },
        },
        (response) => {
          response.resume();
          response.on('end', () => end(response.statusCode ?? 0, String(response.statusCode)));
          response.on('error', () => end(0, 'error'));
        },
      );
      live.add(request);
      request.setTimeout(requestTimeoutMs, () => {
        end(0, 'timeout');
        request.destroy();
      });
      request.on('error', () => end(0, 'error'));
      request.end(body);
    };

    const pump = () => {
      while (!finished && inFlight < concurrency && head < ready.length) {
        attempt(ready[head++]!);
      }
      // Keep the queue from growing without bound on long runs.
      if (head > 4096 && head * 2 > ready.length) {
        ready.splice(0, head);
        head = 0;
      }
    };

    if (pending === 0) finish(false);
    else pump();
  });
}
