/**
 * Routing of notifications to handlers by a key (an IDV topic, an age verification state),
 * with a fallback for keys nobody claimed. Shared by `topicRouter()` and `stateRouter()`.
 */
export class Dispatcher<Handler> {
  readonly #handlers = new Map<string, Handler>();
  #fallback: Handler | undefined;

  /** @param where the factory name, for setup errors */
  constructor(private readonly where: string) {}

  /**
   * Registers a handler for one key or several.
   *
   * @throws {TypeError} for a missing key, a handler that is not a function, or a key that
   *   already has a handler.
   */
  on(keys: string | readonly string[], handler: Handler): void {
    const list: readonly string[] = typeof keys === 'string' ? [keys] : keys;
    if (!Array.isArray(list) || list.length === 0) {
      throw new TypeError(`${this.where}.on: give a key or a non-empty list of keys`);
    }
    assertFunction(handler, `${this.where}.on`);
    for (const key of list) {
      if (typeof key !== 'string' || key.length === 0) {
        throw new TypeError(`${this.where}.on: keys must be non-empty strings`);
      }
      if (this.#handlers.has(key)) {
        throw new TypeError(`${this.where}.on: ${JSON.stringify(key)} already has a handler`);
      }
    }
    for (const key of list) this.#handlers.set(key, handler);
  }

  /**
   * Registers the fallback for every key no `on` claimed.
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

  /** The handler for a key: its own, else the fallback, else `undefined`. */
  resolve(key: string): Handler | undefined {
    return this.#handlers.get(key) ?? this.#fallback;
  }
}

function assertFunction(handler: unknown, where: string): void {
  if (typeof handler !== 'function')
    throw new TypeError(`${where}: the handler must be a function`);
}
