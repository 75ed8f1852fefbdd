/**
 * The names a dispatcher routes by: the ones this package knows, how a name is normalised
 * before it is compared (topics and states match case-insensitively), and the names the
 * application opted in to because Yoti added them after this package was released.
 */
export interface DispatcherNames {
  /** What a name is, for messages: `'topic'`, `'state'`. */
  readonly noun: string;
  /** The known names, in their normal form. */
  readonly known: readonly string[];
  /** Maps a name to its normal form, e.g. lower case for topics. */
  readonly normalise: (name: string) => string;
  /** Names the application accepts beside the known ones (any case). */
  readonly extra?: readonly string[] | undefined;
  /** How to opt in to a newer name, for the setup hint, e.g. `topicRouter({ extraTopics })`. */
  readonly optIn: string;
}

/** The IDV topics: known ones in payload (lower-case) form, matched case-insensitively. */
export function topicNames(
  known: readonly string[],
  extra: readonly string[] | undefined,
  optIn: string,
): DispatcherNames {
  return { noun: 'topic', known, normalise: (name) => name.toLowerCase(), extra, optIn };
}

/** The age verification states: upper case, matched case-insensitively. */
export function stateNames(
  known: readonly string[],
  extra: readonly string[] | undefined,
  optIn: string,
): DispatcherNames {
  return { noun: 'state', known, normalise: (name) => name.toUpperCase(), extra, optIn };
}

/**
 * Routing of notifications to handlers by a name (an IDV topic, an age verification state),
 * with a fallback for names nobody claimed. The one dispatcher behind `topicRouter()`,
 * `stateRouter()` and the inbox workers, so that a handler is found by the same rules
 * everywhere: names compared in normal form, and a name nobody knows refused at setup.
 */
export class Dispatcher<Handler> {
  readonly #handlers = new Map<string, Handler>();
  readonly #accepted: ReadonlySet<string>;
  readonly #names: DispatcherNames;
  #fallback: Handler | undefined;

  /**
   * @param where the factory name, for setup errors
   * @throws {TypeError} when an opted-in extra name is not a non-empty string.
   */
  constructor(
    private readonly where: string,
    names: DispatcherNames,
  ) {
    this.#names = names;
    const extra = names.extra ?? [];
    if (!Array.isArray(extra) || !extra.every((n) => typeof n === 'string' && n.length > 0)) {
      throw new TypeError(`${where}: ${names.optIn} must be a list of non-empty strings`);
    }
    this.#accepted = new Set([...names.known, ...extra].map(names.normalise));
  }

  /**
   * Registers a handler for one name or several.
   *
   * @throws {TypeError} for a missing name, a name neither known nor opted in (naming the
   *   closest known one), a handler that is not a function, or a name (in any case) that
   *   already has a handler.
   */
  on(names: string | readonly string[], handler: Handler): void {
    const list: readonly string[] = typeof names === 'string' ? [names] : names;
    const { noun } = this.#names;
    if (!Array.isArray(list) || list.length === 0) {
      throw new TypeError(`${this.where}.on: give a ${noun} or a non-empty list of them`);
    }
    assertFunction(handler, `${this.where}.on`);
    const normal: string[] = [];
    for (const name of list) {
      if (typeof name !== 'string' || name.length === 0) {
        throw new TypeError(`${this.where}.on: ${noun}s must be non-empty strings`);
      }
      const key = this.#names.normalise(name);
      if (!this.#accepted.has(key)) throw this.#unknown(name, key);
      if (this.#handlers.has(key) || normal.includes(key)) {
        throw new TypeError(`${this.where}.on: ${JSON.stringify(name)} already has a handler`);
      }
      normal.push(key);
    }
    for (const key of normal) this.#handlers.set(key, handler);
  }

  /**
   * Registers the fallback for every name no `on` claimed.
   *
   * @throws {TypeError} when the handler is not a function, or on a second call.
   */
  onUnknown(handler: Handler): void {
    assertFunction(handler, `${this.where}.onUnknown`);
    if (this.#fallback !== undefined) {
      throw new TypeError(`${this.where}.onUnknown: a fallback handler is already set`);
    }
    this.#fallback = handler;
  }

  /** The handler for a name (any case): its own, else the fallback, else `undefined`. */
  resolve(name: string): Handler | undefined {
    return this.#handlers.get(this.#names.normalise(name)) ?? this.#fallback;
  }

  /** The names with a handler of their own, in normal form and registration order. */
  get names(): string[] {
    return [...this.#handlers.keys()];
  }

  /** Whether a notification with this name (any case) would reach a handler. */
  handles(name: string): boolean {
    return this.resolve(name) !== undefined;
  }

  #unknown(name: string, key: string): TypeError {
    const { noun, known, optIn } = this.#names;
    const closest = closestName(key, known);
    return new TypeError(
      `${this.where}.on: unknown ${noun} ${JSON.stringify(name)}` +
        (closest === undefined ? '' : `; did you mean ${JSON.stringify(closest)}?`) +
        ` For a ${noun} newer than this package, opt in with ${optIn}.`,
    );
  }
}

/** The known name nearest to `name` by edit distance (the first of equals). */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

/** Levenshtein distance, one row at a time. Names are short; this runs at setup only. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, substitution));
    }
    previous = row;
  }
  return previous[b.length]!;
}

function assertFunction(handler: unknown, where: string): void {
  if (typeof handler !== 'function')
    throw new TypeError(`${where}: the handler must be a function`);
}
