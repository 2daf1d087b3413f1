import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { AdminOp } from './sqlite-admin.ts';
import type { SqliteSynchronous } from './sqlite-open.ts';
import type { DirtyRows } from './sqlite-state.ts';
import type { PackedRows } from './sqlite-usage-rows.ts';

/**
 * The main thread's handle on the writer worker (sqlite-writer-worker.ts), which owns the
 * store's only write connection. Everything crossing the thread boundary is plain data:
 * rows as flat arrays of primitives, ready to bind.
 */

export interface WriterInit {
  path: string;
  synchronous: SqliteSynchronous;
  busyTimeoutMs: number;
}

/** One group-commit batch, written by the worker in one transaction, in this order. */
export interface WriteMessage extends DirtyRows {
  seq: number;
  /**
   * Bumped by the main thread after a failed batch. The worker refuses every batch of an
   * epoch that already failed: those were prepared from memory that included the failed
   * changes, so writing them would persist state the file never had.
   */
  epoch: number;
  /** Flat usage_dims rows (id, then usageDimsValues), DIMS_WIDTH values each: written before `usage`. */
  dims: unknown[];
  /** usage_rows rows (sqlite-usage-rows.ts); its numbers' buffer is transferred. */
  usage: PackedRows;
  /** Flat: key, created_at per mark. */
  marks: unknown[];
  admin: AdminOp[];
  /** Test hook: when set, the transaction throws an Error with this message just before commit. */
  fail?: string;
}

export interface SerializedError {
  message: string;
  name: string;
  code?: unknown;
}

export type WriteReply = { seq: number; results: unknown[] } | { seq: number; error: SerializedError };

/** Worker → main before any batch: the write connection is open (or could not be). */
export type WriterHello = { ready: true } | { openError: SerializedError };

export function serializeError(e: unknown): SerializedError {
  const err = e instanceof Error ? e : new Error(String(e));
  const out: SerializedError = { message: err.message, name: err.name };
  const code = (err as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  return out;
}

export function deserializeError(s: SerializedError): Error {
  const e = new Error(s.message) as Error & { code?: unknown };
  e.name = s.name;
  if (s.code !== undefined) e.code = s.code;
  return e;
}

export class WriterThread {
  readonly #worker: Worker;
  /** Batches posted and not yet answered: the worker keeps the process alive only while > 0. */
  #outstanding = 0;
  #closing = false;

  private constructor(worker: Worker) {
    this.#worker = worker;
  }

  /**
   * Starts the worker and waits until its connection is open. `onReply` gets every batch
   * answer, in order; `onCrash` is called if the worker dies while the store is open.
   */
  static async start(
    init: WriterInit,
    onReply: (reply: WriteReply) => void,
    onCrash: (error: unknown) => void,
  ): Promise<WriterThread> {
    const worker = new Worker(new URL('./sqlite-writer-worker.ts', import.meta.url), { workerData: init });
    let onExit: (code: number) => void = () => {};
    let onError: (e: Error) => void = () => {};
    const hello = await new Promise<WriterHello>((resolve, reject) => {
      onError = reject;
      onExit = (code) => reject(new Error(`SQLite writer thread exited with code ${code}`));
      worker.once('message', resolve);
      worker.once('error', onError);
      worker.once('exit', onExit);
    }).finally(() => {
      // Not removeAllListeners(): Worker keeps internal listeners on itself.
      worker.off('error', onError);
      worker.off('exit', onExit);
    });
    if ('openError' in hello) {
      await worker.terminate();
      throw deserializeError(hello.openError);
    }
    const thread = new WriterThread(worker);
    worker.on('message', (reply: WriteReply) => {
      thread.#outstanding -= 1;
      if (thread.#outstanding === 0) worker.unref();
      onReply(reply);
    });
    worker.on('error', (e) => {
      if (!thread.#closing) onCrash(e);
    });
    worker.on('exit', (code) => {
      if (!thread.#closing) onCrash(new Error(`SQLite writer thread exited unexpectedly with code ${code}`));
    });
    // An idle store must not keep the process alive; posted batches do (see post()).
    worker.unref();
    return thread;
  }

  post(msg: WriteMessage): void {
    this.#worker.postMessage(msg, [msg.usage.numbers.buffer as ArrayBuffer]);
    this.#outstanding += 1;
    // Keep the process alive until every posted batch is answered, so waiters settle.
    if (this.#outstanding === 1) this.#worker.ref();
  }

  /** Closes the write connection after every batch already posted, and ends the worker. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#worker.ref();
    const exited = once(this.#worker, 'exit');
    this.#worker.postMessage({ close: true });
    await exited;
  }

  /** Ends the worker at once (init failed half-way, or the store is being abandoned). */
  async terminate(): Promise<void> {
    this.#closing = true;
    await this.#worker.terminate();
  }
}
