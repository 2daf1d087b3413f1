import type Database from 'better-sqlite3';
import { DIMS_COLUMNS, ROW_COLUMNS } from './sqlite-usage-columns.ts';
import { appendBindValues, type PackedRows } from './sqlite-usage-rows.ts';

/** Values per usage_rows row / usage_dims row in the flat arrays posted to the writer thread. */
export const ROW_WIDTH = ROW_COLUMNS.length;
export const DIMS_WIDTH = DIMS_COLUMNS.length;
/**
 * Rows per multi-row INSERT. One statement step per chunk instead of per row saves the
 * per-statement overhead (bind, step, reset, N-API call); 32 rows bind 608 parameters,
 * far below SQLite's limit.
 */
const INSERT_CHUNK = 32;

function insertSql(table: string, columns: readonly string[], rows: number): string {
  const one = `(${columns.map(() => '?').join(', ')})`;
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array(rows).fill(one).join(', ')}`;
}

/** Multi-row inserts of fixed-width rows given as one flat array. */
class ChunkedInsert {
  readonly #width: number;
  readonly #one: Database.Statement;
  readonly #chunk: Database.Statement;

  constructor(db: Database.Database, table: string, columns: readonly string[]) {
    this.#width = columns.length;
    this.#one = db.prepare(insertSql(table, columns, 1));
    this.#chunk = db.prepare(insertSql(table, columns, INSERT_CHUNK));
  }

  run(values: readonly unknown[]): void {
    const w = this.#width;
    const chunkLen = INSERT_CHUNK * w;
    let i = 0;
    for (; i + chunkLen <= values.length; i += chunkLen) this.#chunk.run(values.slice(i, i + chunkLen));
    for (; i < values.length; i += w) this.#one.run(values.slice(i, i + w));
  }
}

/** Inserts usage rows on the writer thread's connection, inside its transaction. */
export class UsageWriter {
  readonly #dims: ChunkedInsert;
  readonly #rows: ChunkedInsert;

  constructor(db: Database.Database) {
    this.#dims = new ChunkedInsert(db, 'usage_dims', DIMS_COLUMNS);
    this.#rows = new ChunkedInsert(db, 'usage_rows', ROW_COLUMNS);
  }

  /** New label combinations first (rows refer to them, flat, concatenated), then the rows. */
  insert(dims: readonly unknown[], rows: PackedRows): void {
    this.#dims.run(dims);
    // Bound a chunk at a time: the values of a whole batch would be one more big array.
    const chunk: unknown[] = [];
    for (let i = 0; i < rows.count; i++) {
      appendBindValues(chunk, rows, i);
      if (chunk.length === INSERT_CHUNK * ROW_WIDTH) {
        this.#rows.run(chunk);
        chunk.length = 0;
      }
    }
    this.#rows.run(chunk);
  }
}
