import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hiddenClassesDiverge, shareShapes } from '../../lib/express/request';

const root = join(__dirname, '..', '..');
const PROBE = join(root, '__tests__', 'support', 'servers', 'request-shape-probe.js');

interface Probe {
  statuses: number[];
  handled: number;
  fastProperties: boolean;
  sharedHiddenClass: boolean;
  responseFastProperties: boolean;
  responsesSharedHiddenClass: boolean;
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

describe('shareShapes', () => {
  test('leaves every own key and value of the request and the response as they were', () => {
    const tag = Symbol('tag');
    const req = { url: '/hook', method: 'POST', [tag]: 1 };
    const res = { statusCode: 200 };
    shareShapes(req, res);
    expect(Reflect.ownKeys(req)).toEqual(['url', 'method', tag]);
    expect(req).toEqual({ url: '/hook', method: 'POST', [tag]: 1 });
    expect(Reflect.ownKeys(res)).toEqual(['statusCode']);
    expect(res).toEqual({ statusCode: 200 });
  });

  test('does nothing to objects that cannot take properties, or to a missing response', () => {
    const frozen = Object.freeze({ url: '/hook' });
    expect(() => shareShapes(frozen, Object.seal({}))).not.toThrow();
    expect(() => shareShapes({}, undefined)).not.toThrow();
    expect(Reflect.ownKeys(frozen)).toEqual(['url']);
  });
});

describe('hiddenClassesDiverge', () => {
  test.each([
    ['11.3.244.8-node.38', true], // Node 20
    ['12.4.254.21-node.57', true], // Node 22
    ['12.9.202.28-node.14', true], // Node 23
    ['13.6.233.17-node.63', false], // Node 24
    ['14.1.146.11-node.12', false],
    ['', false],
    [undefined, false], // not V8
  ])('V8 %p: %p', (version, diverge) => {
    expect(hiddenClassesDiverge(version)).toBe(diverge);
  });
});

// Checked with V8's own intrinsics in a child process running this same Node.
const diverge = hiddenClassesDiverge(process.versions.v8);

describe.each(['express', 'express4'])('request and response objects on %s', (express) => {
  (diverge ? test : test.skip)(
    'on this V8, with express.json() alone, no two requests or responses share a hidden class',
    async () => {
      expect(await probe(express, 'reference')).toEqual({
        statuses: [200],
        handled: 40,
        fastProperties: true,
        sharedHiddenClass: false,
        responseFastProperties: true,
        responsesSharedHiddenClass: false,
      });
    },
  );

  (diverge ? test.each : test.skip.each)(['idv', 'age'])(
    'on this V8, after the %s chain, requests share one hidden class, and responses another',
    async (chain) => {
      expect(await probe(express, chain)).toEqual({
        statuses: [200],
        handled: 40,
        fastProperties: false,
        sharedHiddenClass: true,
        responseFastProperties: false,
        responsesSharedHiddenClass: true,
      });
    },
  );

  (diverge ? test.skip.each : test.each)(['reference', 'idv', 'age'])(
    'on this V8, requests and responses share hidden classes already, and the %s chain leaves their properties as they are',
    async (chain) => {
      expect(await probe(express, chain)).toEqual({
        statuses: [200],
        handled: 40,
        fastProperties: true,
        sharedHiddenClass: true,
        responseFastProperties: true,
        responsesSharedHiddenClass: true,
      });
    },
  );
});
