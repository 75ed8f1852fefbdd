// Deliveries of one notification racing to the BullMQ inbox: one job is stored, under the id
// all of them resolve with.
import { Redis } from 'ioredis';
import { BullMQInbox } from '../../lib/bullmq';
import { REDIS_URL, describeWithRedis, uniquePrefix } from '../dedup/redis-env';

describeWithRedis('BullMQInbox.store() under concurrent deliveries', () => {
  let connection: Redis;
  let inbox: BullMQInbox;
  beforeEach(() => {
    connection = new Redis(REDIS_URL!, { maxRetriesPerRequest: null });
    inbox = new BullMQInbox({ connection, prefix: uniquePrefix('race').replace(/:/g, '-') });
  });
  afterEach(async () => {
    await inbox.close();
    connection.disconnect();
  });

  test('ten stores of one key at once: one job, whose id all ten resolve with', async () => {
    const entry = {
      kind: 'idv' as const,
      key: 'idv:s-1:session_completion',
      notification: { session_id: 's-1', topic: 'session_completion' } as never,
      receivedAt: 1_700_000_000_000,
    };
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => inbox.store(entry)));
    expect(new Set(outcomes.map((o) => o.id))).toEqual(new Set([outcomes[0]!.id]));
    expect(await inbox.queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
    // And once it is held, a later delivery is not stored either.
    expect(await inbox.store(entry)).toEqual({ id: outcomes[0]!.id });
    expect(await inbox.queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
  });

  test('entries without a key are each stored', async () => {
    const entry = {
      kind: 'idv' as const,
      key: undefined,
      notification: { session_id: 's-2', topic: 'resource_update' } as never,
      receivedAt: 1_700_000_000_000,
    };
    const outcomes = await Promise.all(Array.from({ length: 3 }, () => inbox.store(entry)));
    expect(new Set(outcomes.map((o) => o.id)).size).toBe(3);
    expect(await inbox.queue.getJobCounts('waiting')).toEqual({ waiting: 3 });
  });
});
