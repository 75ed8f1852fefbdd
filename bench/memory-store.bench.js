// MemoryStore, in process, on the built package (dist/, or BENCH_PACKAGE):
// - time: its cost per notification (a claim, then its completion) when full at its default
//   bound of 100,000 records, so that every claim evicts the oldest record, over the same on a
//   store a hundred times smaller, full too. On average a write's cost should not grow in
//   proportion to the store's size (a larger table costs some cache misses); a store that
//   looked for its oldest record by scanning its Map from the front would. The two stores alternate in blocks;
//   the figure is the median of the blocks' ratios.
// - memory: the heap it keeps after 1,000,000 claims and releases of one key (a handler that
//   keeps failing) behind records that stay, measured in a child process with --expose-gc.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const PACKAGE = process.env.BENCH_PACKAGE || path.join(__dirname, '..', 'dist');
const LARGE = 100_000;
const SMALL = 1_000;
const BLOCK = 2_000;
const CYCLES = 1_000_000;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function loadPackage() {
  const entry = require.resolve(PACKAGE);
  if (!fs.existsSync(entry)) throw new Error(`memory-store bench: ${entry} is missing`);
  return require(entry);
}

/** A full store and a way to hand it notifications it has not seen. */
async function fullStore(MemoryStore, maxEntries) {
  const store = new MemoryStore({ maxEntries });
  let sequence = 0;
  const handle = async (count) => {
    for (let i = 0; i < count; i++) {
      const key = `idv:session:task_completion:t-${sequence++}`;
      await store.claim(key, 'token', 60_000);
      await store.complete(key, 'token', 60_000);
    }
  };
  await handle(maxEntries);
  return handle;
}

async function timeFigure(MemoryStore, rounds, log) {
  const large = await fullStore(MemoryStore, LARGE);
  const small = await fullStore(MemoryStore, SMALL);
  await Promise.all([large(BLOCK), small(BLOCK)]);
  const ratios = [];
  for (let round = 0; round < rounds; round++) {
    const blockRatios = [];
    for (let block = 0; block < 20; block++) {
      const took = {};
      for (const side of block % 2 === 0 ? ['large', 'small'] : ['small', 'large']) {
        const started = performance.now();
        await (side === 'large' ? large : small)(BLOCK);
        took[side] = performance.now() - started;
      }
      blockRatios.push(took.large / took.small);
    }
    ratios.push(median(blockRatios));
    log(
      `  round ${round + 1}: full at ${LARGE} over full at ${SMALL}: ${ratios.at(-1).toFixed(2)}`,
    );
  }
  return {
    name: `MemoryStore full at ${LARGE} vs at ${SMALL}: time per notification`,
    ratio: median(ratios),
    bar: 3,
    direction: 'max',
    median: median(ratios),
    spread: Math.max(...ratios) - Math.min(...ratios),
  };
}

/** In the child: the heap kept by the cycles, in bytes. */
async function heapKept(MemoryStore) {
  const store = new MemoryStore();
  for (let i = 0; i < 50; i++) await store.claim(`stays-${i}`, 'token', 3_600_000);
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < CYCLES; i++) {
    await store.claim('fails', 'token', 60_000);
    await store.release('fails', 'token');
  }
  globalThis.gc();
  const kept = process.memoryUsage().heapUsed - before;
  // The store must outlive the measurement, or what it keeps would be collected with it.
  if (store.size !== 50) throw new Error(`memory-store bench: ${store.size} records, not 50`);
  return kept;
}

function memoryFigure(log) {
  const output = execFileSync(
    process.execPath,
    ['--expose-gc', path.join(__dirname, 'memory-store.bench.js'), '--heap-kept'],
    {
      encoding: 'utf8',
      env: { ...process.env, BENCH_PACKAGE: PACKAGE },
      timeout: 120_000,
    },
  );
  // A collection can leave the heap a little smaller than before: nothing kept.
  const megabytes = Math.max(0, JSON.parse(output).kept / 1e6);
  log(`  heap kept after ${CYCLES} claims and releases: ${megabytes.toFixed(1)} MB`);
  return {
    name: `MemoryStore heap kept after ${CYCLES / 1e6}M claims and releases`,
    ratio: megabytes,
    bar: 5,
    direction: 'max',
    median: megabytes,
    spread: 0,
    unit: 'MB',
  };
}

/**
 * @param {{ rounds?: number, log?: (line: string) => void }} [ctx]
 */
async function run(ctx = {}) {
  const rounds = ctx.rounds ?? 7;
  const log = ctx.log ?? ((line) => console.log(line));
  const { MemoryStore } = loadPackage();
  return [await timeFigure(MemoryStore, rounds, log), memoryFigure(log)];
}

module.exports = { run };

if (require.main === module) {
  const child = process.argv.includes('--heap-kept');
  (child ? heapKept(loadPackage().MemoryStore).then((kept) => ({ kept })) : run()).then(
    (results) => console.log(JSON.stringify(results, null, 2)),
    (error) => {
      console.error(error.message);
      process.exitCode = 1;
    },
  );
}
