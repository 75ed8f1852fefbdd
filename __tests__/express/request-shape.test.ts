import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { shareShapes } from '../../lib/express/request';

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

// V8 gives each Express request and response a hidden class of its own; the package's layers
// turn both to dictionary properties, whose hidden class all of them share (see shareShapes).
// Checked with V8's own intrinsics in a child process.
describe.each(['express', 'express4'])('request objects on %s', (express) => {
  test('with express.json() alone, no two requests or responses share a hidden class', async () => {
    const result = await probe(express, 'reference');
    expect(result).toEqual({
      statuses: [200],
      handled: 40,
      fastProperties: true,
      sharedHiddenClass: false,
      responseFastProperties: true,
      responsesSharedHiddenClass: false,
    });
  });

  test.each(['idv', 'age'])(
    'after the %s chain, requests share one hidden class, and responses another',
    async (chain) => {
      const result = await probe(express, chain);
      expect(result).toEqual({
        statuses: [200],
        handled: 40,
        fastProperties: false,
        sharedHiddenClass: true,
        responseFastProperties: false,
        responsesSharedHiddenClass: true,
      });
    },
  );
});
