/**
 * What the SQLite store accepted but has not yet seen committed: record ids and marks
 * in batches still on their way to the writer thread. The tables cannot answer for
 * them, so dedupe and set-if-absent checks ask here first. Marks known to be on disk
 * are cached too, so repeated checks skip the SELECT (bounded: it is only a cache).
 */
export class PendingWrites {
  readonly #recordIds = new Set<string>();
  readonly #marks = new Set<string>();
  readonly #knownMarks = new Set<string>();
  /**
   * Cursor values put since init, pending or on disk (few: one per metric series). Kept
   * whole until a batch fails: a key absent here is read from the table, which then holds
   * everything acknowledged.
   */
  readonly #cursors = new Map<string, string>();

  addRecord(id: string): void {
    this.#recordIds.add(id);
  }

  hasRecord(id: string): boolean {
    return this.#recordIds.has(id);
  }

  addMark(key: string): void {
    this.#marks.add(key);
  }

  /** Pending, or known to be on disk. */
  hasMark(key: string): boolean {
    return this.#knownMarks.has(key) || this.#marks.has(key);
  }

  /** A mark read from the table. */
  knownMark(key: string): void {
    if (this.#knownMarks.size > 100_000) this.#knownMarks.clear();
    this.#knownMarks.add(key);
  }

  putCursor(key: string, value: string): void {
    this.#cursors.set(key, value);
  }

  cursor(key: string): string | undefined {
    return this.#cursors.get(key);
  }

  /** A batch committed: its records and marks are on disk now. */
  committed(recordIds: readonly string[], markKeys: readonly string[]): void {
    for (const id of recordIds) this.#recordIds.delete(id);
    for (const m of markKeys) {
      this.#marks.delete(m);
      this.knownMark(m);
    }
  }

  /** A batch rolled back, with every later one: nothing pending will land. */
  failed(): void {
    this.#recordIds.clear();
    this.#marks.clear();
    this.#cursors.clear();
  }
}
