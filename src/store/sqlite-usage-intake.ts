import type Database from 'better-sqlite3';
import type { PricedRecord } from '../usage/usage-record.ts';
import { RecentIds } from './recent-ids.ts';
import type { Batch } from './sqlite-store-config.ts';
import { usageDimsValues } from './sqlite-usage-row.ts';

/** Label combinations compared field by field before the keyed cache is asked. */
const RECENT_DIMS = 16;
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
  /** The last few label combinations appended, with their usage_dims ids (a ring). */
  readonly #recent: { record: PricedRecord; id: number }[] = [];
  #recentNext = 0;

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
    // A batch from one process holds a handful of label combinations (agents × models):
    // compare with the few seen last before building the key.
    const recent = this.#recent;
    for (let i = 0; i < recent.length; i++) {
      const e = recent[i]!;
      if (sameDims(e.record, r)) {
        batch.rows.push(r, e.id);
        return;
      }
    }
    const id = this.#dimsId(batch, r);
    // A copy of what sameDims() compares: the caller may reuse or change its objects later.
    const entry = { record: { ...r, scope: { ...r.scope }, cost: { ...r.cost } }, id };
    if (recent.length < RECENT_DIMS) recent.push(entry);
    else recent[this.#recentNext] = entry;
    this.#recentNext = (this.#recentNext + 1) % RECENT_DIMS;
    batch.rows.push(r, id);
  }

  #dimsId(batch: Batch, r: PricedRecord): number {
    const dims = usageDimsValues(r);
    const key = JSON.stringify(dims);
    let id = this.#dims.get(key);
    if (id === undefined) {
      id = this.#nextDimsId++;
      if (this.#dims.size >= MAX_CACHED_DIMS) this.#dims.clear();
      this.#dims.set(key, id);
      batch.msg.dims.push(id, ...dims);
    }
    return id;
  }

  /**
   * A batch failed: the combinations it (and every later batch) introduced will not land.
   * Ids already handed out are never reused, so nothing can point at a wrong row.
   */
  failed(batches: readonly Batch[]): void {
    this.#dims.clear();
    this.#recent.length = 0;
    this.#recentNext = 0;
    for (const b of batches) for (const id of b.recordIds) this.#window.delete(id);
  }
}

/** Same scope labels, as usageDimsValues sees them (own enumerable keys and their values). */
function sameScope(a: Record<string, string>, b: Record<string, string>): boolean {
  if (a === b) return true;
  let n = 0;
  for (const k in a) {
    if (a[k] !== b[k]) return false;
    n += 1;
  }
  for (const _ in b) n -= 1;
  return n === 0;
}

/**
 * True when `r` would get the same usage_dims values as `last`: every field
 * usageDimsValues() reads. (Scope key order may differ: the values still match, and the
 * row's scope JSON is the first record's, which reads back as the same labels.)
 */
function sameDims(last: PricedRecord, r: PricedRecord): boolean {
  const a = last.cost;
  const b = r.cost;
  return (
    last.provider === r.provider &&
    last.operation === r.operation &&
    last.requestModel === r.requestModel &&
    last.responseModel === r.responseModel &&
    last.toolName === r.toolName &&
    last.errorType === r.errorType &&
    last.usageSource === r.usageSource &&
    a.source === b.source &&
    a.unpriced === b.unpriced &&
    a.catalogVersion === b.catalogVersion &&
    a.priceModel === b.priceModel &&
    a.tierAboveInputTokens === b.tierAboveInputTokens &&
    sameScope(last.scope, r.scope)
  );
}
