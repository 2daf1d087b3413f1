import type Database from 'better-sqlite3';
import { STANDARD_SCOPE_LABELS } from '../usage/scope.ts';
import type { PricedRecord } from '../usage/usage-record.ts';
import { type UsageDbRow, usageFromRow } from './sqlite-usage-row.ts';
import type { UsageAggregate, UsageGroupField, UsageQuery } from './store.ts';
import { emptyAggregate } from './usage-aggregate.ts';

/**
 * Reads of the usage ledger: one row of the `usage` view per priced record (see schema v3);
 * filters and GROUP BY run in SQL over its columns. Dedupe by record id is UsageIntake's.
 *
 * Ordering ties are broken by seq (acceptance order), which is the memory store's
 * insertion order: both stores return the same sequence.
 */

const COLUMN_OF: Readonly<Record<string, string>> = {
  provider: 'provider',
  model: 'model',
  operation: 'operation',
  tool: 'tool',
  ...Object.fromEntries(STANDARD_SCOPE_LABELS.map((l) => [l, l])),
};

/** A plain label name can go into a JSON path literally; anything else is looked up by key. */
const SIMPLE_LABEL = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The SQL expression for a field's value ('' when absent), as fieldValue() defines it.
 * Custom scope labels are read from the scope JSON. User-supplied names never reach the
 * SQL text except as a checked identifier; other names are bound as parameters.
 */
function fieldExpr(field: string, params: unknown[]): string {
  const column = COLUMN_OF[field];
  if (column !== undefined) return column;
  if (SIMPLE_LABEL.test(field)) return `COALESCE(json_extract(scope, '$.${field}'), '')`;
  params.push(field);
  return `COALESCE((SELECT value FROM json_each(usage.scope) WHERE key = ?), '')`;
}

function whereClause(q: UsageQuery, params: unknown[]): string {
  params.push(q.from, q.to);
  const parts = ['time >= ?', 'time < ?'];
  for (const [k, v] of Object.entries(q.filter ?? {})) {
    parts.push(`${fieldExpr(k, params)} = ?`);
    params.push(v);
  }
  return parts.join(' AND ');
}

interface AggregateDbRow {
  calls: number;
  errors: number;
  missing_usage: number;
  unpriced_calls: number;
  input: number;
  output: number;
  cache_read: number;
  cache_write: number;
  reasoning: number;
  cost_nano: number;
  duration_ms: number;
  [group: `g${number}`]: string;
}

/** Reads of the ledger on the main thread's connection. */
export class UsageLedger {
  readonly #db: Database.Database;
  /** Prepared statements by SQL text: dashboards repeat the same few shapes. */
  readonly #cache = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  #statement(sql: string): Database.Statement {
    let st = this.#cache.get(sql);
    if (!st) {
      if (this.#cache.size >= 256) this.#cache.clear();
      st = this.#db.prepare(sql);
      this.#cache.set(sql, st);
    }
    return st;
  }

  query(q: UsageQuery & { limit?: number }): PricedRecord[] {
    const params: unknown[] = [];
    const where = whereClause(q, params);
    params.push(q.limit ?? -1);
    const rows = this.#statement(`SELECT * FROM usage WHERE ${where} ORDER BY time, seq LIMIT ?`).all(
      ...params,
    ) as UsageDbRow[];
    return rows.map(usageFromRow);
  }

  aggregate(q: UsageQuery & { groupBy: readonly UsageGroupField[] }): UsageAggregate[] {
    const params: unknown[] = [];
    const groups = q.groupBy.map((f, i) => `${fieldExpr(f, params)} AS g${i}`);
    const where = whereClause(q, params);
    const groupBy = q.groupBy.length > 0 ? `GROUP BY ${q.groupBy.map((_, i) => `g${i}`).join(', ')}` : '';
    const sql = `SELECT ${[...groups, ''].join(', ')}
        COUNT(*) AS calls, COUNT(NULLIF(error_type, '')) AS errors,
        TOTAL(usage_source = 'missing') AS missing_usage, TOTAL(unpriced) AS unpriced_calls,
        SUM(input) AS input, SUM(output) AS output, SUM(cache_read) AS cache_read,
        SUM(cache_write) AS cache_write, SUM(reasoning) AS reasoning,
        SUM(cost_nano) AS cost_nano, SUM(duration_ms) AS duration_ms
      FROM usage WHERE ${where} ${groupBy}
      HAVING COUNT(*) > 0
      ORDER BY MIN(seq)`;
    const rows = this.#statement(sql).all(...params) as AggregateDbRow[];
    return rows.map((row) => {
      const group: Record<string, string> = {};
      q.groupBy.forEach((f, i) => {
        group[f] = row[`g${i}`] ?? '';
      });
      const a = emptyAggregate(group);
      a.calls = row.calls;
      a.errors = row.errors;
      a.missingUsage = row.missing_usage;
      a.unpricedCalls = row.unpriced_calls;
      a.input = row.input;
      a.output = row.output;
      a.cacheRead = row.cache_read;
      a.cacheWrite = row.cache_write;
      a.reasoning = row.reasoning;
      a.costNanoUsd = row.cost_nano;
      a.durationMs = row.duration_ms;
      return a;
    });
  }
}
