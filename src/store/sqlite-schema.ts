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
  // v3: the ledger split in two so a record binds 18 values instead of 38 (binding is most
  // of an insert's cost): the labels, which repeat across records, as one row of
  // usage_dims per distinct combination; the counts and costs in usage_rows. No unique
  // index on the record id: dedupe is a bounded window in memory (recent-ids.ts) rebuilt
  // from the newest rows, because a unique b-tree over random ids costs a random page
  // write per record once it outgrows the cache. The view keeps the old table's name and
  // columns, so every read is unchanged; `seq` is acceptance order.
  `
  CREATE TABLE usage_dims (
    id INTEGER PRIMARY KEY,
    provider TEXT NOT NULL,
    operation TEXT NOT NULL,
    request_model TEXT NOT NULL,
    response_model TEXT,
    model TEXT NOT NULL,
    tool TEXT NOT NULL,
    tenant TEXT NOT NULL,
    project TEXT NOT NULL,
    agent TEXT NOT NULL,
    component TEXT NOT NULL,
    session TEXT NOT NULL,
    user TEXT NOT NULL,
    scope TEXT NOT NULL,
    error_type TEXT,
    usage_source TEXT NOT NULL,
    cost_source TEXT NOT NULL,
    unpriced INTEGER NOT NULL,
    catalog_version TEXT NOT NULL,
    price_model TEXT,
    tier_above_input_tokens INTEGER
  );
  CREATE TABLE usage_rows (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    time INTEGER NOT NULL,
    dims INTEGER NOT NULL,
    input INTEGER NOT NULL,
    output INTEGER NOT NULL,
    cache_read INTEGER NOT NULL,
    cache_write INTEGER NOT NULL,
    cache_write_1h INTEGER NOT NULL,
    reasoning INTEGER NOT NULL,
    duration_ms REAL NOT NULL,
    cost_nano INTEGER NOT NULL,
    computed_cost_nano INTEGER,
    provider_cost_nano INTEGER,
    cost_input_nano INTEGER NOT NULL,
    cost_output_nano INTEGER NOT NULL,
    cost_cache_read_nano INTEGER NOT NULL,
    cost_cache_write_nano INTEGER NOT NULL,
    cost_reasoning_nano INTEGER NOT NULL,
    extra TEXT
  );
  INSERT INTO usage_dims
    SELECT rowid, provider, operation, request_model, response_model, model, tool, tenant, project,
      agent, component, session, user, scope, error_type, usage_source, cost_source, unpriced,
      catalog_version, price_model, tier_above_input_tokens
    FROM usage;
  INSERT INTO usage_rows
    SELECT rowid, id, time, rowid, input, output, cache_read, cache_write, cache_write_1h, reasoning,
      duration_ms, cost_nano, computed_cost_nano, provider_cost_nano, cost_input_nano,
      cost_output_nano, cost_cache_read_nano, cost_cache_write_nano, cost_reasoning_nano, extra
    FROM usage ORDER BY rowid;
  DROP TABLE usage;
  CREATE INDEX usage_rows_time ON usage_rows (time);
  CREATE VIEW usage AS
    SELECT r.seq AS seq, r.id AS id, r.time AS time, d.provider AS provider, d.operation AS operation,
      d.request_model AS request_model, d.response_model AS response_model, d.model AS model,
      d.tool AS tool, d.tenant AS tenant, d.project AS project, d.agent AS agent,
      d.component AS component, d.session AS session, d.user AS user, d.scope AS scope,
      r.input AS input, r.output AS output, r.cache_read AS cache_read, r.cache_write AS cache_write,
      r.cache_write_1h AS cache_write_1h, r.reasoning AS reasoning, r.duration_ms AS duration_ms,
      d.error_type AS error_type, d.usage_source AS usage_source, r.cost_nano AS cost_nano,
      r.computed_cost_nano AS computed_cost_nano, r.provider_cost_nano AS provider_cost_nano,
      d.cost_source AS cost_source, d.unpriced AS unpriced, d.catalog_version AS catalog_version,
      d.price_model AS price_model, d.tier_above_input_tokens AS tier_above_input_tokens,
      r.cost_input_nano AS cost_input_nano, r.cost_output_nano AS cost_output_nano,
      r.cost_cache_read_nano AS cost_cache_read_nano, r.cost_cache_write_nano AS cost_cache_write_nano,
      r.cost_reasoning_nano AS cost_reasoning_nano, r.extra AS extra
    FROM usage_rows r JOIN usage_dims d ON d.id = r.dims;
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
export function migrate(db: Database.Database, path: string, target: number = SCHEMA_VERSION): void {
  const current = schemaVersion(db);
  if (current > SCHEMA_VERSION) throw new SchemaVersionError(path, current);
  // `target` below SCHEMA_VERSION only builds old files for the upgrade tests.
  for (let v = current; v < Math.min(target, SCHEMA_VERSION); v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      // user_version is written in the file header, inside this transaction.
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
