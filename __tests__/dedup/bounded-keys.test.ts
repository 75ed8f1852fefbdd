// Every store record is bounded in size whatever the key (SPEC §2.2): a key longer than
// MAX_STORED_KEY_LENGTH is kept as its digest.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { MemoryStore, RedisStore } from '../../lib';
import { MAX_STORED_KEY_LENGTH, storedKey } from '../../lib/core/deduplication-store';
import { connectNodeRedis, describeWithRedis, uniquePrefix } from './redis-env';

const run = promisify(execFile);
const long = (n: number, tag: string) => tag + 'x'.repeat(n - tag.length);

describe('storedKey()', () => {
  test('keeps a key up to the limit as it is', () => {
    const key = long(MAX_STORED_KEY_LENGTH, 'av:');
    expect(storedKey(key)).toBe(key);
    expect(storedKey('idv:s1:session_completion')).toBe('idv:s1:session_completion');
  });

  test('keeps a longer key as a digest of fixed length, distinct for distinct keys', () => {
    const a = storedKey(long(MAX_STORED_KEY_LENGTH + 1, 'a'));
    const b = storedKey(long(60_000, 'b'));
    const c = storedKey(long(60_000, 'c'));
    expect(a).toMatch(/^#sha256:[A-Za-z0-9_-]{43}$/);
    expect(b).toHaveLength(a.length);
    expect(b).not.toBe(c);
    expect(storedKey(long(60_000, 'b'))).toBe(b);
  });
});

test('MemoryStore: claims on 60 KB keys keep their meaning', async () => {
  const store = new MemoryStore();
  const key = long(60_000, 'av:');
  const token = randomUUID();
  expect(await store.claim(key, token, 60_000)).toEqual({ state: 'claimed' });
  expect((await store.claim(key, randomUUID(), 60_000)).state).toBe('in-progress');
  expect(await store.claim(long(60_000, 'av:other'), randomUUID(), 60_000)).toEqual({
    state: 'claimed',
  });
  expect(await store.complete(key, token, 60_000)).toBe(true);
  expect(await store.claim(key, randomUUID(), 60_000)).toEqual({ state: 'done' });
});

test('MemoryStore: 2,000 records with distinct 60 KB keys keep under 1 KB each', async () => {
  // In a process of its own, with --expose-gc, on the compiled package.
  const script = `
    const { MemoryStore } = require(${JSON.stringify(path.resolve(__dirname, '../../dist'))});
    (async () => {
      const store = new MemoryStore();
      globalThis.gc();
      const before = process.memoryUsage().heapUsed;
      for (let i = 0; i < 2000; i++) {
        await store.claim(String(i).padEnd(60000, 'x'), 't' + i, 60000);
      }
      globalThis.gc();
      process.stdout.write(String((process.memoryUsage().heapUsed - before) / store.size));
    })();`;
  const { stdout } = await run(process.execPath, ['--expose-gc', '-e', script], {
    timeout: 60_000,
  });
  expect(Number(stdout)).toBeGreaterThan(0);
  expect(Number(stdout)).toBeLessThan(1024);
}, 90_000);

test('MemoryStore: 200,000 claims and releases of one key (a handler that keeps failing) keep no memory', async () => {
  const script = `
    const { MemoryStore } = require(${JSON.stringify(path.resolve(__dirname, '../../dist'))});
    (async () => {
      const store = new MemoryStore({ maxEntries: 1000 });
      for (let i = 0; i < 10; i++) await store.claim('stays' + i, 't', 60000);
      globalThis.gc();
      const before = process.memoryUsage().heapUsed;
      for (let i = 0; i < 200000; i++) {
        await store.claim('failing', 't', 60000);
        await store.release('failing', 't');
        if (i % 1000 === 0) await store.complete('stays' + (i % 10), 't', 60000);
      }
      globalThis.gc();
      process.stdout.write(JSON.stringify({ grown: process.memoryUsage().heapUsed - before, size: store.size }));
    })();`;
  const { stdout } = await run(process.execPath, ['--expose-gc', '-e', script], {
    timeout: 60_000,
  });
  const { grown, size } = JSON.parse(stdout) as { grown: number; size: number };
  expect(size).toBe(10);
  // Without the log's compaction, the 200,000 superseded writes held 15 MB here.
  expect(grown).toBeLessThan(1024 * 1024);
}, 90_000);

describeWithRedis('RedisStore', () => {
  test('a record with a 60 KB key takes under 512 bytes of Redis memory', async () => {
    const client = await connectNodeRedis();
    try {
      const prefix = uniquePrefix('bounded');
      const store = new RedisStore({ client, prefix });
      const key = long(60_000, 'av:');
      const token = randomUUID();
      expect(await store.claim(key, token, 60_000)).toEqual({ state: 'claimed' });
      expect(await store.complete(key, token, 60_000)).toBe(true);
      const keys = await client.keys(prefix + '*');
      expect(keys).toEqual([prefix + storedKey(key)]);
      expect(Number(await client.memoryUsage(keys[0]!))).toBeLessThan(512);
      expect(await store.claim(key, randomUUID(), 60_000)).toEqual({ state: 'done' });
    } finally {
      await client.quit();
    }
  });
});
