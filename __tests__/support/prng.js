// mulberry32: a small, fast pseudo-random generator that gives the same sequence for the
// same seed, so that failure injection in tests and child servers is reproducible.
// Plain CommonJS so that the child-process servers can require it without a transform.
'use strict';

/** @param {number} seed @returns {() => number} numbers in [0, 1) */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

module.exports = { prng };
