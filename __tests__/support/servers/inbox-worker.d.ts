/** Whether a key's first run fails in the test worker: `share` of the keys, by their hash. */
export function failsOnFirstRun(key: string | undefined, share: number | undefined): boolean;
