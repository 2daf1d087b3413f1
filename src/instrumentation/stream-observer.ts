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
 * `next()` is one `then()` on the source's own promise with two handlers made once per
 * stream: no async function (whose suspend and resume cost more than the reaction), no
 * rest-argument array, no closure and no result object per chunk (the source's own
 * result is handed on).
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

  readonly #onStep = (r: IteratorResult<T>): IteratorResult<T> | Promise<IteratorResult<T>> => {
    if (r.done) {
      const failure = this.#finish(undefined, 'done');
      if (failure) throw failure;
      return r;
    }
    if (this.#hooks.item(r.value)) return r;
    return this.#read(undefined); // a hidden item: the consumer gets the next one
  };

  readonly #onError = (error: unknown): never => {
    this.#finish(error, 'error');
    throw error;
  };

  #read(value: unknown): Promise<IteratorResult<T>> {
    let step: Promise<IteratorResult<T>>;
    try {
      step = value === undefined ? this.#source.next() : this.#source.next(value as never);
    } catch (error) {
      this.#finish(error, 'error');
      return Promise.reject(error as Error);
    }
    // Not every source returns a native promise (a thenable, or a plain result).
    if (!(step instanceof Promise)) step = Promise.resolve(step);
    return step.then(this.#onStep, this.#onError);
  }

  // `for await` always calls next() without an argument; one given is passed on.
  next(value?: unknown): Promise<IteratorResult<T>> {
    return this.#read(value);
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
