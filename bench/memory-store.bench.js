// MemoryStore's cost per notification (a claim, then its completion) when the store is full
// at its default bound of 100,000 records, so that every write evicts the oldest, over the
// same on a store a hundred times smaller, full too. A write should cost about the same
// whatever the store's size; a store that looked for its oldest record by scanning from the
// front of its Map would cost in proportion to the size. In process, on the built package
// (dist/); the two stores alternate in blocks within each round.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const ROOT = path.join(__dirname, '..');
const LARGE = 100_000;
const SMALL = 1_000;
const BLOCK = 2_000;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
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

/**
 * @param {{ rounds?: number, log?: (line: string) => void }} [ctx]
 */
async function run(ctx = {}) {
  const rounds = ctx.rounds ?? 7;
  const log = ctx.log ?? ((line) => console.log(line));
  const dist = path.join(ROOT, 'dist', 'index.js');
  if (!fs.existsSync(dist)) {
    throw new Error('memory-store bench: dist/ is missing; run npm run build first');
  }
  const { MemoryStore } = require(dist);
  const large = await fullStore(MemoryStore, LARGE);
  const small = await fullStore(MemoryStore, SMALL);
  await Promise.all([large(BLOCK), small(BLOCK)]);
  const ratios = [];
  for (let round = 0; round < rounds; round++) {
    const time = { large: 0, small: 0 };
    for (let block = 0; block < 20; block++) {
      for (const side of block % 2 === 0 ? ['large', 'small'] : ['small', 'large']) {
        const started = performance.now();
        await (side === 'large' ? large : small)(BLOCK);
        time[side] += performance.now() - started;
      }
    }
    ratios.push(time.large / time.small);
    const each = (side) => ((time[side] * 1000) / (20 * BLOCK)).toFixed(2);
    log(
      `  round ${round + 1}: ${LARGE} records ${each('large')} µs, ${SMALL} records ` +
        `${each('small')} µs per notification, ratio ${ratios.at(-1).toFixed(2)}`,
    );
  }
  const ratio = median(ratios);
  return [
    {
      name: `MemoryStore full at ${LARGE} vs at ${SMALL}: time per notification`,
      ratio,
      bar: 3,
      direction: 'max',
      median: ratio,
      spread: Math.max(...ratios) - Math.min(...ratios),
    },
  ];
}

module.exports = { run };

if (require.main === module) {
  run().then(
    (results) => console.log(JSON.stringify(results, null, 2)),
    (error) => {
      console.error(error.message);
      process.exitCode = 1;
    },
  );
}
