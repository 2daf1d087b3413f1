/**
 * Watches an async iterator without changing what it yields or when: every item goes
 * to `item()` (which may hide it from the consumer), and `end()` runs exactly once on
 * every way out — the source finishing, the source throwing (an abort, a broken
 * connection, a truncated stream), or the consumer leaving early (`break`, `return()`).
 * Whatever usage the adapter had seen by then is what gets recorded.
 */
export interface StreamHooks<T> {
  /** Sees each item; return false to hide it from the consumer. */
  item(value: T): boolean;
  /**
   * `error` is undefined for a normal end and for an early exit by the consumer. An
   * Error returned after a normal end is thrown to the consumer (onMissingUsage: 'throw').
   */
  end(error: unknown, how: 'done' | 'error' | 'early'): Error | undefined | void;
}

/**
 * The observing iterator. This is the per-chunk path of every instrumented stream, so
 * it is one object per stream with plain methods: `next()` allocates nothing of its own
 * beyond the promise every async method returns (no rest-argument array, no closure, no
 * result object: the source's own result is handed on).
 */
class ObservedIterator<T> implements AsyncIterator<T>, AsyncIterable<T> {
  readonly #source: AsyncIterator<T>;
  readonly #hooks: StreamHooks<T>;
  #finished = false;

  constructor(source: AsyncIterator<T>, hooks: StreamHooks<T>) {
    this.#source = source;
    this.#hooks = hooks;
  }

  #finish(error: unknown, how: 'done' | 'error' | 'early'): Error | undefined {
    if (this.#finished) return undefined;
    this.#finished = true;
    return this.#hooks.end(error, how) ?? undefined;
  }

  // `for await` always calls next() without an argument; one given is passed on.
  async next(value?: unknown): Promise<IteratorResult<T>> {
    for (;;) {
      let r: IteratorResult<T>;
      try {
        r = await (value === undefined ? this.#source.next() : this.#source.next(value as never));
      } catch (error) {
        this.#finish(error, 'error');
        throw error;
      }
      if (r.done) {
        const failure = this.#finish(undefined, 'done');
        if (failure) throw failure;
        return r;
      }
      if (this.#hooks.item(r.value)) return r;
    }
  }

  async return(value?: unknown): Promise<IteratorResult<T>> {
    this.#finish(undefined, 'early');
    if (this.#source.return) return this.#source.return(value);
    return { done: true, value: value as T };
  }

  async throw(error?: unknown): Promise<IteratorResult<T>> {
    this.#finish(error, 'error');
    if (this.#source.throw) return this.#source.throw(error);
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** The returned iterator's methods must be called on it (bind them to hand them on). */
export function observeIterator<T>(source: AsyncIterator<T>, hooks: StreamHooks<T>): AsyncIterator<T> {
  return new ObservedIterator(source, hooks);
}
