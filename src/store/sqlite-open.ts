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
 * Opens (creating the directory and file when needed) in WAL mode and migrates the
 * schema. Normal locking: the store has two connections on the file (the writer
 * worker's, and a reader on the main thread), so ownership is taken by lockDatabase().
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
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal')
      throw new Error(`${path}: could not switch to WAL journal mode (got ${String(mode)})`);
    db.pragma(`synchronous = ${opts.synchronous}`);
    migrate(db, path);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

/**
 * Takes the database file for this process by holding an exclusive lock on a sibling
 * `<path>.lock` SQLite file until the returned handle is closed. The working copy in
 * memory is only correct while no one else writes the file, so a second bursar process
 * must fail loudly instead of silently diverging. SQLite locks with POSIX fcntl locks,
 * which the OS drops when the process dies: a crash never leaves the file locked.
 */
export function lockDatabase(path: string, busyTimeoutMs: number): Database.Database {
  const dbPath = resolve(path);
  mkdirSync(dirname(dbPath), { recursive: true });
  const lock = new Database(`${dbPath}.lock`, { timeout: busyTimeoutMs });
  try {
    lock.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    lock.pragma('locking_mode = EXCLUSIVE');
    // Never committed: the open write transaction holds the EXCLUSIVE lock until close.
    lock.exec('BEGIN EXCLUSIVE');
    return lock;
  } catch (e) {
    lock.close();
    if (isBusy(e)) throw new DatabaseInUseError(dbPath, e);
    throw e;
  }
}
