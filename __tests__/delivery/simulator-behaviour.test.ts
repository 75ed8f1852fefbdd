import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { simulateDelivery } from '../support/delivery-simulator';

// The simulator itself: what it sends, how it retries, and that it always stops.

async function listen(
  handler: http.RequestListener,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

test('posts JSON over keep-alive and redelivers until 200', async () => {
  const seen: Array<{ type?: string; connection?: string; body: string; auth?: string }> = [];
  const calls = new Map<string, number>();
  const server = await listen((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      seen.push({
        type: req.headers['content-type'],
        connection: req.headers.connection,
        body,
        auth: req.headers.authorization,
      });
      const n = (calls.get(body) ?? 0) + 1;
      calls.set(body, n);
      res.statusCode = body === '{"n":1}' && n < 3 ? 503 : 200;
      res.end();
    });
  });
  try {
    const report = await simulateDelivery({
      targets: [server.url],
      deliveries: [
        { key: 'a', path: '/x', body: '{"n":1}' },
        { key: 'b', path: '/x', body: '{"n":2}', headers: { authorization: 'Basic eDp5' } },
      ],
      concurrency: 2,
      maxAttempts: 5,
      backoff: { initialMs: 1, maxMs: 5 },
      deadlineMs: 10_000,
    });
    expect(report.timedOut).toBe(false);
    expect(report.outcomes).toEqual([
      { key: 'a', index: 0, attempts: 3, statuses: [503, 503, 200], delivered: true },
      { key: 'b', index: 1, attempts: 1, statuses: [200], delivered: true },
    ]);
    expect(report.statusCounts).toEqual({ '200': 2, '503': 2 });
    expect(seen.every((s) => s.type === 'application/json' && s.connection === 'keep-alive')).toBe(
      true,
    );
    expect(seen.find((s) => s.body === '{"n":2}')?.auth).toBe('Basic eDp5');
  } finally {
    await server.close();
  }
});

test('stops after maxAttempts, and honours retryOn', async () => {
  const server = await listen((req, res) => {
    req.resume();
    req.on('end', () => {
      res.statusCode = req.url === '/bad' ? 401 : 500;
      res.end();
    });
  });
  try {
    const report = await simulateDelivery({
      targets: [server.url],
      deliveries: [
        { key: 'a', path: '/fail', body: '{}' },
        { key: 'b', path: '/bad', body: '{}' },
      ],
      concurrency: 4,
      maxAttempts: 3,
      backoff: { initialMs: 1, maxMs: 2 },
      deadlineMs: 10_000,
      retryOn: (status) => status >= 500,
    });
    expect(report.outcomes.map((o) => o.statuses)).toEqual([[500, 500, 500], [401]]);
    expect(report.outcomes.map((o) => o.delivered)).toEqual([false, false]);
  } finally {
    await server.close();
  }
});

test('retries network errors on the next target, and reports timedOut at the deadline', async () => {
  const good = await listen((req, res) => {
    req.resume();
    req.on('end', () => res.end());
  });
  const dead = await listen(() => undefined);
  const deadUrl = dead.url;
  await dead.close(); // nothing listens there any more: connection refused
  try {
    const report = await simulateDelivery({
      targets: [deadUrl, good.url],
      deliveries: [{ key: 'a', path: '/', body: '{}' }],
      concurrency: 1,
      maxAttempts: 3,
      backoff: { initialMs: 1, maxMs: 1 },
      deadlineMs: 10_000,
    });
    expect(report.outcomes[0]).toMatchObject({ attempts: 2, statuses: [0, 200], delivered: true });
    expect(report.statusCounts).toEqual({ error: 1, '200': 1 });
  } finally {
    await good.close();
  }

  const silent = await listen(() => undefined); // never answers
  try {
    const report = await simulateDelivery({
      targets: [silent.url],
      deliveries: [{ key: 'a', path: '/', body: '{}' }],
      concurrency: 1,
      maxAttempts: 100,
      requestTimeoutMs: 50,
      backoff: { initialMs: 1, maxMs: 1 },
      deadlineMs: 300,
    });
    expect(report.timedOut).toBe(true);
    expect(report.outcomes[0]!.delivered).toBe(false);
    expect(report.statusCounts.timeout).toBeGreaterThan(0);
  } finally {
    await silent.close();
  }
});

test('refuses targets that are not loopback', () => {
  expect(() =>
    simulateDelivery({
      targets: ['http://example.com'],
      deliveries: [],
      concurrency: 1,
      maxAttempts: 1,
      deadlineMs: 1,
    }),
  ).toThrow(TypeError);
});
