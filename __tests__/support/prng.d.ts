/** A seeded generator of numbers in [0, 1): the same seed gives the same sequence. */
export function prng(seed: number): () => number;
