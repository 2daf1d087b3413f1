import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './sqlite-schema.ts';

export type SqliteSynchronous = 'FULL' | 'NORMAL';

export interface OpenOptions {
  path: string;
  synchronous: SqliteSynchronous;
  busyTimeoutMs: number;
}

/** The file is held by another connection: one bursar process owns a database file. */
export class DatabaseInUseError extends Error {
  constructor(path: string, cause: unknown) {
    super(
      `${path} is in use by another bursar process (SQLite reports it locked). Stop that process, ` +
        'or give this one its own database path; several replicas share budgets through the Redis store.',
      { cause },
    );
    this.name = 'DatabaseInUseError';
  }
}

function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

/**
 * Opens (creating the directory and file when needed), takes the file for this process
 * and migrates the schema.
 *
 * `locking_mode=EXCLUSIVE` is set before WAL so the WAL index lives in process memory
 * (no -shm file) and the file lock is held from the first access until close: the
 * working copy in memory is only correct while no one else writes the file, so a second
 * process must fail loudly instead of silently diverging.
 */
export function openDatabase(opts: OpenOptions): Database.Database {
  if (opts.synchronous !== 'FULL' && opts.synchronous !== 'NORMAL') {
    throw new Error(`synchronous must be 'FULL' or 'NORMAL', got ${JSON.stringify(opts.synchronous)}`);
  }
  const path = resolve(opts.path);
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: opts.busyTimeoutMs });
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs))}`);
    db.pragma('locking_mode = EXCLUSIVE');
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal')
      throw new Error(`${path}: could not switch to WAL journal mode (got ${String(mode)})`);
    db.pragma(`synchronous = ${opts.synchronous}`);
    migrate(db, path);
    return db;
  } catch (e) {
    db.close();
    if (isBusy(e)) throw new DatabaseInUseError(path, e);
    throw e;
  }
}
