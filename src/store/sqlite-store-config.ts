import type { SqliteSynchronous } from './sqlite-open.ts';
import { UsageRowsBuilder } from './sqlite-usage-rows.ts';
import type { WriteMessage } from './sqlite-writer.ts';

/** SqliteStore's options and its per-batch bookkeeping type. */

export interface SqliteStoreOptions {
  /** Database file; its directory is created. Default './data/bursar.db'. */
  path?: string;
  /**
   * Units of work (reservations, commits, records, marks...) that close a batch at once.
   * Otherwise a batch closes when the writer is free: at once when idle, else when it
   * acknowledges the batch it is writing. Default 8192.
   */
  maxBatch?: number;
  /** 'FULL' (default) survives power loss; 'NORMAL' survives a process crash only. */
  synchronous?: SqliteSynchronous;
  /** How long a finished reservation is kept past its expiry (idempotent replays, reports). Default 1 hour. */
  reservationRetentionMs?: number;
  /** How long to wait for a lock held by another connection before failing. Default 1000 ms. */
  busyTimeoutMs?: number;
  /**
   * Record ids remembered for dedupe (about 20 bytes each): a record whose id is among the
   * last this many accepted is a duplicate. Default 1,000,000 (20 MB).
   */
  dedupeWindow?: number;
}

export const DEFAULTS = {
  path: './data/bursar.db',
  maxBatch: 8192,
  synchronous: 'FULL' as SqliteSynchronous,
  reservationRetentionMs: 3_600_000,
  busyTimeoutMs: 1000,
  dedupeWindow: 1_000_000,
};

/** One group-commit batch: what is posted to the writer, and what the main thread keeps. */
export interface Batch {
  msg: WriteMessage;
  /** The batch's usage rows, packed into msg.usage when it is posted. */
  rows: UsageRowsBuilder;
  /** Record ids and marks in this batch: pending until it is acknowledged. */
  recordIds: string[];
  markKeys: string[];
}

export function emptyBatch(): Batch {
  return {
    msg: {
      seq: 0,
      epoch: 0,
      counters: [],
      counterDeletes: [],
      reservations: [],
      reservationDeletes: [],
      dims: [],
      usage: { count: 0, numbers: new Float64Array(0), strings: [] },
      marks: [],
      admin: [],
    },
    rows: new UsageRowsBuilder(),
    recordIds: [],
    markKeys: [],
  };
}

export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
