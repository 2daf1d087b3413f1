/**
 * Group commit: operations are applied to the in-memory working copy at once, and
 * their persistence is queued here. The queue is written in ONE transaction when it
 * holds `maxBatch` units of work or `intervalMs` after its first entry, whichever comes
 * first; every waiter resolves only after that transaction committed. One fsync then
 * acknowledges hundreds of operations instead of one.
 */

/** A write to run inside the flush transaction. */
export type BatchWrite = () => void;

export interface GroupCommitOptions {
  maxBatch: number;
  intervalMs: number;
  /** Runs the whole batch in one transaction; throwing rolls it back. */
  write: (writes: readonly BatchWrite[], units: number) => void;
  /** Called after a failed write, before the batch's waiters are rejected. */
  onError: (error: unknown) => void;
  /** Called after a successful write, before the batch's waiters are resolved. */
  onSuccess: () => void;
}

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class GroupCommit {
  readonly #opts: GroupCommitOptions;
  #writes: BatchWrite[] = [];
  #waiters: Waiter[] = [];
  #units = 0;
  #timer: NodeJS.Timeout | undefined;
  #flushes = 0;

  constructor(opts: GroupCommitOptions) {
    if (!(opts.maxBatch >= 1)) throw new Error(`maxBatch must be at least 1, got ${opts.maxBatch}`);
    if (!(opts.intervalMs >= 0))
      throw new Error(`flushIntervalMs must not be negative, got ${opts.intervalMs}`);
    this.#opts = opts;
  }

  /** Transactions committed so far. */
  get flushes(): number {
    return this.#flushes;
  }

  /** Units of work waiting to be written. */
  get pendingUnits(): number {
    return this.#units;
  }

  /**
   * Queues `units` of work (with an optional write) and resolves once it is durable.
   * With `units === 0` the caller changed nothing but read state that may still be
   * pending (a duplicate, a replay, a denial): it waits for the current batch so it never
   * reports state that a failed flush could still take back. With nothing pending it
   * resolves at once.
   */
  add(units: number, write?: BatchWrite): Promise<void> {
    if (units === 0 && write === undefined && this.#waiters.length === 0) return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#waiters.push({ resolve, reject });
    if (write) this.#writes.push(write);
    this.#units += units;
    if (this.#units >= this.#opts.maxBatch) this.flush();
    else if (this.#timer === undefined) this.#timer = setTimeout(() => this.flush(), this.#opts.intervalMs);
    return promise;
  }

  /** Writes everything queued now (synchronously). Never throws: failures reject the waiters. */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#waiters.length === 0) return;
    const writes = this.#writes;
    const waiters = this.#waiters;
    const units = this.#units;
    this.#writes = [];
    this.#waiters = [];
    this.#units = 0;
    try {
      this.#opts.write(writes, units);
    } catch (e) {
      this.#opts.onError(e);
      for (const w of waiters) w.reject(e);
      return;
    }
    this.#flushes += 1;
    this.#opts.onSuccess();
    for (const w of waiters) w.resolve();
  }
}
