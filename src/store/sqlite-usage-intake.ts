import type Database from 'better-sqlite3';
import type { PricedRecord } from '../usage/usage-record.ts';
import { RecentIds } from './recent-ids.ts';
import type { Batch } from './sqlite-store-config.ts';
import { appendUsageRow, usageDimsValues } from './sqlite-usage-row.ts';

/** Label combinations cached before the cache starts over (each costs its key, ~300 bytes). */
const MAX_CACHED_DIMS = 50_000;

/**
 * The main thread's side of the ledger's write path: which ids were accepted recently
 * (the dedupe window, rebuilt from the newest rows at start), and which usage_dims row a
 * record's labels go to. New combinations are written in the same batch as the first
 * record using them; the cache is only a cache: a combination it forgot gets a new row,
 * which reads (through the `usage` view, by value) cannot tell from the old one.
 */
export class UsageIntake {
  readonly #window: RecentIds;
  readonly #dims = new Map<string, number>();
  #nextDimsId: number;

  constructor(db: Database.Database, windowSize: number) {
    this.#window = new RecentIds(windowSize);
    this.#nextDimsId =
      (db.prepare('SELECT COALESCE(MAX(id), 0) FROM usage_dims').pluck().get() as number) + 1;
    const last = db.prepare('SELECT COALESCE(MAX(seq), 0) FROM usage_rows').pluck().get() as number;
    const ids = db
      .prepare<[number], string>('SELECT id FROM usage_rows WHERE seq > ? ORDER BY seq')
      .pluck()
      .iterate(last - windowSize);
    for (const id of ids) this.#window.claim(id);
  }

  /** Ids in the window now. */
  get windowSize(): number {
    return this.#window.size;
  }

  /** True when `id` is in the window: accepted (pending or committed) among the last `windowSize`. */
  has(id: string): boolean {
    return this.#window.has(id);
  }

  /** Takes `id` into the window: false when it is there already (a duplicate). */
  claim(id: string): boolean {
    return this.#window.claim(id);
  }

  /** Appends the record (and its labels' row, when new) to the batch being filled. */
  append(batch: Batch, r: PricedRecord): void {
    const dims = usageDimsValues(r);
    const key = JSON.stringify(dims);
    let id = this.#dims.get(key);
    if (id === undefined) {
      id = this.#nextDimsId++;
      if (this.#dims.size >= MAX_CACHED_DIMS) this.#dims.clear();
      this.#dims.set(key, id);
      batch.msg.dims.push(id, ...dims);
    }
    appendUsageRow(batch.msg.usage, r, id);
  }

  /**
   * A batch failed: the combinations it (and every later batch) introduced will not land.
   * Ids already handed out are never reused, so nothing can point at a wrong row.
   */
  failed(batches: readonly Batch[]): void {
    this.#dims.clear();
    for (const b of batches) for (const id of b.recordIds) this.#window.delete(id);
  }
}
