// How the package keeps Express's request and response objects cheap for V8 to work with.

const PROBE_FIRST = Symbol('express-yoti-notifications.shapeProbe.first');
const PROBE_SECOND = Symbol('express-yoti-notifications.shapeProbe.second');

/** The part of `process.versions` that says which engine runs. */
export interface EngineVersions {
  readonly v8?: string;
  readonly bun?: string;
}

/**
 * Whether the engine gives each Express request and response a hidden class of its own, so
 * that {@link shareShapes} pays: V8 before 13 does (checked on Node 20, 22 and 23, whose V8
 * are 11.3, 12.4 and 12.9); V8 13.6 (Node 24) and later share these classes by themselves.
 * Bun, which reports a V8 version without running V8, is left alone.
 */
export function hiddenClassesDiverge(versions: EngineVersions): boolean {
  if (versions.bun !== undefined) return false;
  const major = Number.parseInt(versions.v8 ?? '', 10);
  return major < 13;
}

const DIVERGE = hiddenClassesDiverge(process.versions);

/**
 * On the engines where it pays ({@link hiddenClassesDiverge}), puts the request's and the
 * response's properties in dictionary mode. Every middleware of the package calls it before it
 * sets fields of its own; the first call does the work, later ones cost little. No own key or
 * value changes: two private symbols are set on each object and deleted again.
 *
 * Why: on V8 before 13, Express's `Object.setPrototypeOf` on every request and response gives
 * each of these objects a hidden class (map) of its own. Every property set on one afterwards
 * then builds one more map, and every property read that follows, in Express, in Node's HTTP
 * code and here, misses V8's caches, which are keyed by map: about 3 µs per property set,
 * measured. Deleting a property other than the last one added turns an object to dictionary
 * properties, whose map all such objects share, so the caches hit and each later field costs
 * a hash insert. Server CPU per request on the IDV chain, measured: 87 µs with it against
 * 116 µs without on Node 20 with Express 5 (67 against 97 µs with Express 4), 78 against
 * 104 µs on Node 22. On Node 24 it measured 25% more, which is why it is skipped there.
 *
 * V8 finds the shared dictionary class in a small cache with one slot per hash of the
 * prototype. In about one process in 40 (2 of 80 tried), two classes that are needed on every
 * request, by all signs the request's and the response's, fall in one slot and keep evicting
 * each other, and nothing is shared in that process. The objects still take new properties
 * without new classes there, which measured about 10% less CPU than without the switch.
 */
export function shareShapes(req: object, res: unknown): void {
  if (!DIVERGE) return;
  toDictionaryProperties(req);
  toDictionaryProperties(res);
}

/**
 * Turns an object to dictionary properties, when it can take properties at all. Never
 * throws: an object that refuses (a Proxy whose traps say no, a revoked Proxy) stays as it is.
 */
export function toDictionaryProperties(object: unknown): void {
  try {
    // False for anything that is not an object, too.
    if (!Object.isExtensible(object)) return;
    const probe = object as Record<symbol, unknown>;
    probe[PROBE_FIRST] = undefined;
    probe[PROBE_SECOND] = undefined;
    delete probe[PROBE_FIRST];
    delete probe[PROBE_SECOND];
  } catch {
    // Only a speed-up: an object that will not take it is left alone.
  }
}
