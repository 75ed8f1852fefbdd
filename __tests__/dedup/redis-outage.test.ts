// A Redis outage in the middle of a delivery run, on a private redis-server: requests during
// the outage are refused with 503 STORE_UNAVAILABLE (Yoti redelivers), and once Redis is
// back every notification has still been handled exactly once.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { ErrorRequestHandler } from 'express';
import { deduplicate, parseIdvNotification, rawBody, RedisStore, topicRouter } from '../../lib';
import type { RedisClientLike } from '../../lib';
import { simulateDelivery } from '../support/delivery-simulator';
import type { Delivery } from '../support/delivery-simulator';
import { OwnRedis } from './own-redis';
import { connectIoredis, connectNodeRedis, describeWithRedisServer } from './redis-env';

const NOTIFICATIONS = 3_000;
const STOP_AFTER = 1_000;
const OUTAGE_MS = 1_000;

const codes: ErrorRequestHandler = (err, _req, res, _next) => {
  res
    .status(err.status ?? 500)
    .set(err.headers ?? {})
    .json({ code: err.code });
};

describeWithRedisServer('deduplicate() through a Redis outage', () => {
  const redis = new OwnRedis();
  const servers: http.Server[] = [];
  const closers: Array<() => Promise<unknown>> = [];

  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    await Promise.all(closers.map((close) => close().catch(() => undefined)));
    await redis.dispose();
  });

  test('503 during the outage; every notification completes exactly once', async () => {
    await redis.start();
    const nodeRedis = await connectNodeRedis(redis.url);
    const ioredis = await connectIoredis(redis.url);
    closers.push(
      () => nodeRedis.quit(),
      async () => ioredis.disconnect(),
    );

    const completions = new Map<string, number>();
    let handled = 0;
    let outage: Promise<void> | undefined;
    let outageStatuses: number[] = [];
    let inOutage = false;
    const targets: string[] = [];
    const prefix = `outage:${randomUUID()}:`;
    for (const client of [nodeRedis, ioredis] as RedisClientLike[]) {
      const app = express();
      app.use((_req, res, next) => {
        if (inOutage) res.on('finish', () => outageStatuses.push(res.statusCode));
        next();
      });
      app.post(
        '/idv',
        rawBody(),
        parseIdvNotification(),
        deduplicate({ store: new RedisStore({ client, prefix }), storeTimeoutMs: 500 }),
        topicRouter().on('task_completion', async (req) => {
          await new Promise((resolve) => setImmediate(resolve));
          const key = req.notification.task_id;
          completions.set(key, (completions.get(key) ?? 0) + 1);
          if (++handled === STOP_AFTER) {
            outage = (async () => {
              await redis.stop();
              inOutage = true;
              await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
              inOutage = false;
              await redis.start();
            })();
          }
        }),
      );
      app.use(codes);
      const server = http.createServer(app);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
      targets.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }

    const session_id = randomUUID();
    const deliveries: Delivery[] = [];
    for (let i = 0; i < NOTIFICATIONS; i++) {
      const task_id = randomUUID();
      const delivery = {
        key: task_id,
        path: '/idv',
        body: JSON.stringify({ session_id, topic: 'task_completion', task_id }),
      };
      deliveries.push(delivery);
      if (i % 10 === 0) deliveries.push({ ...delivery });
    }

    const report = await simulateDelivery({
      targets,
      deliveries,
      concurrency: 32,
      maxAttempts: 200,
      backoff: { initialMs: 10, maxMs: 250 },
      deadlineMs: 45_000,
    });
    await outage;
    outageStatuses = outageStatuses.filter((status) => status !== 0);

    expect(outage).toBeDefined();
    expect(report.timedOut).toBe(false);
    expect(report.outcomes.filter((outcome) => !outcome.delivered)).toEqual([]);
    expect(report.statusCounts['503']).toBeGreaterThan(0);
    expect(report.statusCounts['500'] ?? 0).toBe(0);
    // What Redis-dependent requests got while it was down: refusals, never a handling.
    expect(outageStatuses.length).toBeGreaterThan(0);
    expect(outageStatuses.every((status) => status === 503)).toBe(true);
    expect(completions.size).toBe(NOTIFICATIONS);
    expect([...completions.values()].every((count) => count === 1)).toBe(true);
    console.log(
      `redis outage: ${deliveries.length} deliveries in ${Math.round(report.elapsedMs)} ms, ` +
        `statuses ${JSON.stringify(report.statusCounts)}`,
    );
  }, 60_000);
});
