/**
 * What the SQLite store accepted but has not yet seen committed: marks in batches still
 * on their way to the writer thread. The tables cannot answer for them, so set-if-absent
 * checks ask here first (record ids are the dedupe window's: sqlite-usage-intake.ts). Marks known to be on disk
 * are cached too, so repeated checks skip the SELECT (bounded: it is only a cache).
 */
export class PendingWrites {
  readonly #marks = new Set<string>();
  readonly #knownMarks = new Set<string>();
  /**
   * Cursor values put since init, pending or on disk (few: one per metric series). Kept
   * whole until a batch fails: a key absent here is read from the table, which then holds
   * everything acknowledged.
   */
  readonly #cursors = new Map<string, string>();

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

  /** A batch committed: its marks are on disk now. */
  committed(markKeys: readonly string[]): void {
    for (const m of markKeys) {
      this.#marks.delete(m);
      this.knownMark(m);
    }
  }

  /** A batch rolled back, with every later one: nothing pending will land. */
  failed(): void {
    this.#marks.clear();
    this.#cursors.clear();
  }
}
