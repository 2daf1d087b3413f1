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

export function observeIterator<T>(source: AsyncIterator<T>, hooks: StreamHooks<T>): AsyncIterator<T> {
  let finished = false;
  const finish = (error: unknown, how: 'done' | 'error' | 'early'): Error | undefined => {
    if (finished) return undefined;
    finished = true;
    return hooks.end(error, how) ?? undefined;
  };
  const iterator: AsyncIterator<T> & AsyncIterable<T> = {
    async next(...args: [] | [undefined]) {
      for (;;) {
        let r: IteratorResult<T>;
        try {
          r = await source.next(...args);
        } catch (error) {
          finish(error, 'error');
          throw error;
        }
        if (r.done) {
          const failure = finish(undefined, 'done');
          if (failure) throw failure;
          return r;
        }
        if (hooks.item(r.value)) return r;
      }
    },
    async return(value?: unknown) {
      finish(undefined, 'early');
      if (source.return) return source.return(value);
      return { done: true, value: value as T };
    },
    async throw(error?: unknown) {
      finish(error, 'error');
      if (source.throw) return source.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return iterator;
}
