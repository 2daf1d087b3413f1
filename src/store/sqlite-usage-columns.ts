/**
 * The ledger's columns (schema v3), in the order sqlite-usage-row.ts produces values.
 * Kept apart from sqlite-usage-row.ts so the writer thread can build its INSERTs without
 * loading the record schemas (zod), which would add a few hundred milliseconds to every
 * store's start.
 */

/** usage_dims: a record's labels, one row per distinct combination (the id first). */
export const DIMS_COLUMNS = [
  'id',
  'provider',
  'operation',
  'request_model',
  'response_model',
  'model',
  'tool',
  'tenant',
  'project',
  'agent',
  'component',
  'session',
  'user',
  'scope',
  'error_type',
  'usage_source',
  'cost_source',
  'unpriced',
  'catalog_version',
  'price_model',
  'tier_above_input_tokens',
] as const;

/** usage_rows: one row per record (seq, the acceptance order, is assigned by SQLite). */
export const ROW_COLUMNS = [
  'id',
  'time',
  'dims',
  'input',
  'output',
  'cache_read',
  'cache_write',
  'cache_write_1h',
  'reasoning',
  'duration_ms',
  'cost_nano',
  'computed_cost_nano',
  'provider_cost_nano',
  'cost_input_nano',
  'cost_output_nano',
  'cost_cache_read_nano',
  'cost_cache_write_nano',
  'cost_reasoning_nano',
  'extra',
] as const;
