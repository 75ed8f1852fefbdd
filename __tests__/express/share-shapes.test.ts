import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hiddenClassesDiverge, toDictionaryProperties } from '../../lib/express/share-shapes';

const root = join(__dirname, '..', '..');
const PROBE = join(root, '__tests__', 'support', 'servers', 'share-shapes-probe.js');

interface Counts {
  /** Pairs in which both objects have fast (per-object) properties. */
  fast: number;
  /** Pairs whose two objects share a hidden class. */
  shareHiddenClass: number;
}

/** What the probe saw of the last 10 of 30 pairs of requests handled at the same time. */
interface Probe {
  statuses: number[];
  pairs: number;
  requests: Counts;
  responses: Counts;
}

const SAMPLE = 10;
// Objects that share a hidden class may still not, now and then: V8 drops its cache of
// dictionary-mode classes at a garbage collection, which may fall between the two of a pair.
const MOSTLY = SAMPLE - 2;
// That cache has one slot per hash of a prototype: in about one process in 40, two classes
// needed on every request (by all signs the request's and the response's) fall in one slot and
// evict each other, and nothing is shared in that process. A fresh process draws new hashes,
// so sharing is looked for in up to this many; each process that found none is reported.
const PROCESSES = 3;

function shares(result: Probe): boolean {
  return result.requests.shareHiddenClass >= MOSTLY && result.responses.shareHiddenClass >= MOSTLY;
}

/** Probes in fresh processes until one shows sharing, or {@link PROCESSES} have not. */
async function probeForSharing(express: string, chain: string): Promise<Probe[]> {
  const results: Probe[] = [];
  do results.push(await probe(express, chain));
  while (!shares(results.at(-1)!) && results.length < PROCESSES);
  for (const result of results.filter((r) => !shares(r))) {
    console.warn(`share-shapes: ${chain} on ${express}, a process shared nothing`, result);
  }
  return results;
}

function probe(express: string, chain: string): Promise<Probe> {
  if (!existsSync(join(root, 'dist', 'index.js'))) {
    throw new Error('dist/ is missing: run "npm run build" first');
  }
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--allow-natives-syntax', PROBE, express, chain],
      { cwd: root, encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`${error.message}\n${stderr}`));
        resolve(JSON.parse(stdout) as Probe);
      },
    );
  });
}

describe('toDictionaryProperties', () => {
  test('leaves every own key and value as they were', () => {
    const tag = Symbol('tag');
    const req = { url: '/hook', method: 'POST', [tag]: 1 };
    toDictionaryProperties(req);
    expect(Reflect.ownKeys(req)).toEqual(['url', 'method', tag]);
    expect(req).toEqual({ url: '/hook', method: 'POST', [tag]: 1 });
  });

  test.each([
    ['a frozen object', () => Object.freeze({ url: '/hook' })],
    ['a sealed object', () => Object.seal({ url: '/hook' })],
    ['a Proxy whose set trap refuses', () => new Proxy({ url: '/hook' }, { set: () => false })],
    [
      'a Proxy whose deleteProperty trap refuses',
      () => new Proxy({ url: '/hook' }, { deleteProperty: () => false }),
    ],
    [
      'a revoked Proxy',
      () => {
        const { proxy, revoke } = Proxy.revocable({}, {});
        revoke();
        return proxy;
      },
    ],
    ['undefined', () => undefined],
    ['null', () => null],
    ['a number', () => 200],
  ])('never throws, for %s', (_name, make) => {
    expect(() => toDictionaryProperties(make())).not.toThrow();
  });

  test('adds nothing to an object whose Proxy refuses new properties', () => {
    const target = { url: '/hook' };
    toDictionaryProperties(new Proxy(target, { set: () => false }));
    expect(Reflect.ownKeys(target)).toEqual(['url']);
  });
});

describe('hiddenClassesDiverge', () => {
  test.each([
    [{ v8: '11.3.244.8-node.38' }, true], // Node 20
    [{ v8: '12.4.254.21-node.57' }, true], // Node 22
    [{ v8: '12.9.202.28-node.14' }, true], // Node 23
    [{ v8: '13.6.233.17-node.63' }, false], // Node 24
    [{ v8: '14.1.146.11-node.12' }, false],
    [{ v8: '' }, false],
    [{}, false],
    [{ v8: '12.4.254.14-node.0', bun: '1.2.0' }, false], // Bun reports a V8 it does not run
  ])('%p: %p', (versions, diverge) => {
    expect(hiddenClassesDiverge(versions)).toBe(diverge);
  });
});

// Checked with V8's own intrinsics in a child process running this same Node.
const diverge = hiddenClassesDiverge(process.versions);
const SHAPING_MIDDLEWARES = [
  'authHeader',
  'authHeader (jwt)',
  'rawBody',
  'keepRawBody',
  'parseIdvNotification',
  'verifySignature',
  'deduplicate',
];

describe.each(['express', 'express4'])('request and response objects on %s', (express) => {
  (diverge ? test : test.skip)(
    'on this V8, with express.json() alone, no two requests or responses share a hidden class',
    async () => {
      const result = await probe(express, 'reference');
      expect(result.statuses).toEqual([200]);
      expect(result.pairs).toBe(30);
      expect(result.requests).toEqual({ fast: SAMPLE, shareHiddenClass: 0 });
      expect(result.responses).toEqual({ fast: SAMPLE, shareHiddenClass: 0 });
    },
    60_000,
  );

  (diverge ? test.each : test.skip.each)(SHAPING_MIDDLEWARES)(
    'on this V8, after %s, requests share one hidden class, and responses another',
    async (chain) => {
      const results = await probeForSharing(express, chain);
      for (const result of results) {
        expect(result.statuses).toEqual([200]);
        expect(result.pairs).toBe(30);
        expect(result.requests.fast).toBe(0);
        expect(result.responses.fast).toBe(0);
      }
      const last = results.at(-1)!;
      expect(last.requests.shareHiddenClass).toBeGreaterThanOrEqual(MOSTLY);
      expect(last.responses.shareHiddenClass).toBeGreaterThanOrEqual(MOSTLY);
    },
    60_000,
  );

  (diverge ? test.skip.each : test.each)(['reference', ...SHAPING_MIDDLEWARES])(
    'on this V8, requests and responses share hidden classes already, and the chain %s leaves their properties as they are',
    async (chain) => {
      const result = await probe(express, chain);
      expect(result.statuses).toEqual([200]);
      expect(result.pairs).toBe(30);
      for (const objects of [result.requests, result.responses]) {
        expect(objects.fast).toBe(SAMPLE);
        expect(objects.shareHiddenClass).toBeGreaterThanOrEqual(MOSTLY);
      }
    },
    60_000,
  );
});
