import type Database from 'better-sqlite3';
import { USAGE_COLUMNS } from './sqlite-usage-columns.ts';

/** Values per usage row in the flat arrays posted to the writer thread. */
export const USAGE_WIDTH = USAGE_COLUMNS.length;
/**
 * Rows per multi-row INSERT. One statement step per chunk instead of per row saves the
 * per-statement overhead (bind, step, reset, N-API call); 32 rows bind 1,216 parameters,
 * far below SQLite's limit.
 */
const INSERT_CHUNK = 32;

function insertSql(rows: number): string {
  const one = `(${USAGE_COLUMNS.map(() => '?').join(', ')})`;
  return `INSERT INTO usage (${USAGE_COLUMNS.join(', ')}) VALUES ${Array(rows).fill(one).join(', ')}`;
}

/** Inserts usage rows on the writer thread's connection, inside its transaction. */
export class UsageWriter {
  readonly #one: Database.Statement;
  readonly #chunk: Database.Statement;

  constructor(db: Database.Database) {
    this.#one = db.prepare(insertSql(1));
    this.#chunk = db.prepare(insertSql(INSERT_CHUNK));
  }

  /** `values` holds whole rows (usageRowValues), concatenated. */
  insertRows(values: readonly unknown[]): void {
    const chunkLen = INSERT_CHUNK * USAGE_WIDTH;
    let i = 0;
    for (; i + chunkLen <= values.length; i += chunkLen) this.#chunk.run(values.slice(i, i + chunkLen));
    for (; i < values.length; i += USAGE_WIDTH) this.#one.run(values.slice(i, i + USAGE_WIDTH));
  }
}
