import type Database from 'better-sqlite3';

/**
 * The SQLite store's schema, versioned through `PRAGMA user_version`. Each migration
 * moves the file from version i to i + 1 inside one transaction, so a crash mid-upgrade
 * leaves the old version intact. Append new migrations; never edit a released one.
 */
const MIGRATIONS: readonly string[] = [
  // v1
  `
  CREATE TABLE budgets (
    id TEXT PRIMARY KEY,
    spec TEXT NOT NULL
  );

  CREATE TABLE overrides (
    id TEXT PRIMARY KEY,
    budget_id TEXT NOT NULL,
    grp TEXT,
    amount INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    reason TEXT NOT NULL,
    author TEXT NOT NULL
  );

  CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    time INTEGER NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    author TEXT NOT NULL,
    detail TEXT NOT NULL
  );

  CREATE TABLE counters (
    key TEXT PRIMARY KEY,
    budget_id TEXT NOT NULL,
    grp TEXT NOT NULL,
    period_start INTEGER NOT NULL,
    used INTEGER NOT NULL,
    reserved INTEGER NOT NULL
  );
  CREATE INDEX counters_budget_period ON counters (budget_id, period_start);

  CREATE TABLE reservations (
    id TEXT PRIMARY KEY,
    idempotency_key TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    holds TEXT NOT NULL,
    request TEXT NOT NULL,
    record_id TEXT
  );
  CREATE INDEX reservations_state_expiry ON reservations (state, expires_at);

  -- Absent labels are stored as '' (not NULL) so SQL filters and groups see exactly the
  -- value fieldValue() gives the memory store.
  CREATE TABLE usage (
    id TEXT PRIMARY KEY,
    time INTEGER NOT NULL,
    provider TEXT NOT NULL,
    operation TEXT NOT NULL,
    request_model TEXT NOT NULL,
    response_model TEXT,
    model TEXT NOT NULL,
    tool TEXT NOT NULL DEFAULT '',
    tenant TEXT NOT NULL DEFAULT '',
    project TEXT NOT NULL DEFAULT '',
    agent TEXT NOT NULL DEFAULT '',
    component TEXT NOT NULL DEFAULT '',
    session TEXT NOT NULL DEFAULT '',
    user TEXT NOT NULL DEFAULT '',
    scope TEXT NOT NULL,
    input INTEGER NOT NULL,
    output INTEGER NOT NULL,
    cache_read INTEGER NOT NULL,
    cache_write INTEGER NOT NULL,
    cache_write_1h INTEGER NOT NULL,
    reasoning INTEGER NOT NULL,
    duration_ms REAL NOT NULL,
    error_type TEXT,
    usage_source TEXT NOT NULL,
    cost_nano INTEGER NOT NULL,
    computed_cost_nano INTEGER,
    provider_cost_nano INTEGER,
    cost_source TEXT NOT NULL,
    unpriced INTEGER NOT NULL,
    catalog_version TEXT NOT NULL,
    price_model TEXT,
    tier_above_input_tokens INTEGER,
    cost_input_nano INTEGER NOT NULL,
    cost_output_nano INTEGER NOT NULL,
    cost_cache_read_nano INTEGER NOT NULL,
    cost_cache_write_nano INTEGER NOT NULL,
    cost_reasoning_nano INTEGER NOT NULL,
    -- Fields without a column, as JSON (see sqlite-usage-row.ts); usually NULL.
    extra TEXT
  );
  -- Every usage read is a time range. More indexes would each cost the ingest path a
  -- b-tree insert per record; add them in a migration when a query needs one.
  CREATE INDEX usage_time ON usage (time);

  CREATE TABLE marks (
    key TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL
  );

  CREATE TABLE snapshots (
    seq INTEGER PRIMARY KEY,
    time INTEGER NOT NULL,
    budget_id TEXT NOT NULL,
    grp TEXT NOT NULL,
    period_start INTEGER NOT NULL,
    used INTEGER NOT NULL,
    reserved INTEGER NOT NULL,
    limit_units INTEGER NOT NULL
  );
  CREATE INDEX snapshots_budget_time ON snapshots (budget_id, time);
  `,
  // v2: small values by key (Store.putCursors): OTLP cumulative-metric cursors, process markers.
  `
  CREATE TABLE cursors (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );
  `,
];

/** The schema version this code writes and understands. */
export const SCHEMA_VERSION = MIGRATIONS.length;

export class SchemaVersionError extends Error {
  readonly fileVersion: number;
  constructor(path: string, fileVersion: number) {
    super(
      `${path} has bursar schema version ${fileVersion}, but this bursar only knows versions up to ` +
        `${SCHEMA_VERSION}; it was written by a newer bursar. Upgrade bursar, or point the store at another file.`,
    );
    this.name = 'SchemaVersionError';
    this.fileVersion = fileVersion;
  }
}

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the file up to SCHEMA_VERSION. Refuses a newer file rather than guessing:
 * writing an old layout into a newer schema would corrupt what the newer code expects.
 */
export function migrate(db: Database.Database, path: string): void {
  const current = schemaVersion(db);
  if (current > SCHEMA_VERSION) throw new SchemaVersionError(path, current);
  for (let v = current; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      // user_version is written in the file header, inside this transaction.
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
