import type { CostResult } from '../pricing/cost.ts';
import type { TokenUsage } from '../usage/token-usage.ts';
import { effectiveModel, type PricedRecord } from '../usage/usage-record.ts';

/**
 * A PricedRecord ↔ one row of the `usage` table. Every field has a column except those a
 * column cannot hold exactly; those (and any field added to the record types later) go
 * into the `extra` JSON, usually NULL. Writing the full record as JSON as well would
 * nearly double the row and cost ~40% of the insert rate for no information.
 *
 * Absent labels are '' in their columns so SQL sees what fieldValue() sees.
 */

import { DIMS_COLUMNS, ROW_COLUMNS } from './sqlite-usage-columns.ts';

export interface UsageDbRow {
  id: string;
  time: number;
  provider: string;
  operation: string;
  request_model: string;
  response_model: string | null;
  tool: string;
  scope: string;
  input: number;
  output: number;
  cache_read: number;
  cache_write: number;
  cache_write_1h: number;
  reasoning: number;
  duration_ms: number;
  error_type: string | null;
  usage_source: PricedRecord['usageSource'];
  cost_nano: number;
  computed_cost_nano: number | null;
  provider_cost_nano: number | null;
  cost_source: CostResult['source'];
  unpriced: number;
  catalog_version: string;
  price_model: string | null;
  tier_above_input_tokens: number | null;
  cost_input_nano: number;
  cost_output_nano: number;
  cost_cache_read_nano: number;
  cost_cache_write_nano: number;
  cost_reasoning_nano: number;
  extra: string | null;
}

interface Extra {
  [field: string]: unknown;
  usage?: Record<string, unknown>;
  cost?: Record<string, unknown> & { breakdownNanoUsd?: Record<string, unknown> };
}

/** True when `o` has a key with a value (an explicit undefined is no value: JSON drops it). */
function nonEmpty(o: Record<string, unknown>): boolean {
  for (const k in o) if (o[k] !== undefined) return true;
  return false;
}

const RECORD_KEYS: ReadonlySet<string> = new Set([
  'id',
  'time',
  'provider',
  'operation',
  'requestModel',
  'responseModel',
  'usage',
  'scope',
  'toolName',
  'durationMs',
  'errorType',
  'usageSource',
  'cost',
]);
const USAGE_KEYS: ReadonlySet<string> = new Set([
  'input',
  'output',
  'cacheRead',
  'cacheWrite',
  'cacheWrite1h',
  'reasoning',
]);
const COST_KEYS: ReadonlySet<string> = new Set([
  'nanoUsd',
  'computedNanoUsd',
  'providerNanoUsd',
  'source',
  'unpriced',
  'catalogVersion',
  'priceModel',
  'tierAboveInputTokens',
  'breakdownNanoUsd',
]);
const BREAKDOWN_KEYS: ReadonlySet<string> = new Set([
  'input',
  'output',
  'cacheRead',
  'cacheWrite',
  'reasoning',
]);

function onlyKnown(o: object, known: ReadonlySet<string>): boolean {
  for (const k in o) if (!known.has(k)) return false;
  return true;
}

/**
 * The `extra` column: every field without a column, as JSON, or null. Nearly every
 * record has none, and checking the keys costs far less on the ingest path than
 * splitting the objects apart (four rest copies per record).
 */
export function extraJson(r: PricedRecord): string | null {
  const cost = r.cost;
  if (
    onlyKnown(r, RECORD_KEYS) &&
    onlyKnown(r.usage, USAGE_KEYS) &&
    onlyKnown(cost, COST_KEYS) &&
    onlyKnown(cost.breakdownNanoUsd, BREAKDOWN_KEYS)
  ) {
    // '' would read back as "no tool": keep the exact value.
    return r.toolName === '' ? '{"toolName":""}' : null;
  }
  const {
    id: _id,
    time: _time,
    provider: _provider,
    operation: _operation,
    requestModel: _requestModel,
    responseModel: _responseModel,
    usage: _usage,
    scope: _scope,
    toolName,
    durationMs: _durationMs,
    errorType: _errorType,
    usageSource: _usageSource,
    cost: _cost,
    ...otherFields
  } = r;
  const {
    input: _input,
    output: _output,
    cacheRead: _cacheRead,
    cacheWrite: _cacheWrite,
    cacheWrite1h: _cacheWrite1h,
    reasoning: _reasoning,
    ...otherUsage
  } = r.usage;
  const {
    nanoUsd: _nanoUsd,
    computedNanoUsd: _computedNanoUsd,
    providerNanoUsd: _providerNanoUsd,
    source: _source,
    unpriced: _unpriced,
    catalogVersion: _catalogVersion,
    priceModel: _priceModel,
    tierAboveInputTokens: _tierAboveInputTokens,
    breakdownNanoUsd: bd,
    ...otherCost
  } = cost;
  const {
    input: _bIn,
    output: _bOut,
    cacheRead: _bRead,
    cacheWrite: _bWrite,
    reasoning: _bReason,
    ...otherBd
  } = bd;
  const extra: Extra = otherFields;
  if (toolName === '') extra.toolName = '';
  if (nonEmpty(otherUsage)) extra.usage = otherUsage;
  if (nonEmpty(otherBd)) extra.cost = { ...otherCost, breakdownNanoUsd: otherBd };
  else if (nonEmpty(otherCost)) extra.cost = otherCost;
  return nonEmpty(extra) ? JSON.stringify(extra) : null;
}

/**
 * The record's labels in DIMS_COLUMNS order after the id (20 values). Records of one
 * agent, model and scope share them, so the store writes one usage_dims row per distinct
 * combination; JSON.stringify of this array is the exact key it looks them up by.
 */
export function usageDimsValues(r: PricedRecord): unknown[] {
  const { scope, cost } = r;
  return [
    r.provider,
    r.operation,
    r.requestModel,
    r.responseModel ?? null,
    effectiveModel(r),
    r.toolName ?? '',
    scope.tenant ?? '',
    scope.project ?? '',
    scope.agent ?? '',
    scope.component ?? '',
    scope.session ?? '',
    scope.user ?? '',
    JSON.stringify(scope),
    r.errorType ?? null,
    r.usageSource,
    cost.source,
    cost.unpriced ? 1 : 0,
    cost.catalogVersion,
    cost.priceModel ?? null,
    cost.tierAboveInputTokens ?? null,
  ];
}

/** Appends the record's values in ROW_COLUMNS order to `out` (a batch's flat row array). */
export function appendUsageRow(out: unknown[], r: PricedRecord, dimsId: number): void {
  const { usage, cost } = r;
  const bd = cost.breakdownNanoUsd;
  out.push(
    r.id,
    r.time,
    dimsId,
    usage.input,
    usage.output,
    usage.cacheRead,
    usage.cacheWrite,
    usage.cacheWrite1h,
    usage.reasoning,
    r.durationMs,
    cost.nanoUsd,
    cost.computedNanoUsd ?? null,
    cost.providerNanoUsd ?? null,
    bd.input,
    bd.output,
    bd.cacheRead,
    bd.cacheWrite,
    bd.reasoning,
    extraJson(r),
  );
}

/** The `usage` view's columns (after seq), as SELECT * returns them. */
export const USAGE_COLUMNS = [
  'id',
  'time',
  ...DIMS_COLUMNS.slice(1, 14),
  'input',
  'output',
  'cache_read',
  'cache_write',
  'cache_write_1h',
  'reasoning',
  'duration_ms',
  'error_type',
  'usage_source',
  'cost_nano',
  'computed_cost_nano',
  'provider_cost_nano',
  ...DIMS_COLUMNS.slice(16),
  'cost_input_nano',
  'cost_output_nano',
  'cost_cache_read_nano',
  'cost_cache_write_nano',
  'cost_reasoning_nano',
  'extra',
] as const;

/** The record's values in USAGE_COLUMNS order: the row the view shows for it. */
export function usageRowValues(r: PricedRecord): unknown[] {
  const byName = new Map<string, unknown>();
  usageDimsValues(r).forEach((v, i) => byName.set(DIMS_COLUMNS[i + 1]!, v));
  const row: unknown[] = [];
  appendUsageRow(row, r, 0);
  row.forEach((v, i) => byName.set(ROW_COLUMNS[i]!, v));
  return USAGE_COLUMNS.map((c) => byName.get(c));
}

/** The record a row was written from (optional fields absent rather than undefined). */
export function usageFromRow(row: UsageDbRow): PricedRecord {
  const {
    usage: usageExtra,
    cost: costExtra,
    ...fieldsExtra
  }: Extra = row.extra ? JSON.parse(row.extra) : {};
  const { breakdownNanoUsd: bdExtra, ...restCost } = costExtra ?? {};
  const usage: TokenUsage = {
    input: row.input,
    output: row.output,
    cacheRead: row.cache_read,
    cacheWrite: row.cache_write,
    cacheWrite1h: row.cache_write_1h,
    reasoning: row.reasoning,
    ...usageExtra,
  };
  const cost: CostResult = {
    nanoUsd: row.cost_nano,
    source: row.cost_source,
    unpriced: row.unpriced !== 0,
    catalogVersion: row.catalog_version,
    breakdownNanoUsd: {
      input: row.cost_input_nano,
      output: row.cost_output_nano,
      cacheRead: row.cost_cache_read_nano,
      cacheWrite: row.cost_cache_write_nano,
      reasoning: row.cost_reasoning_nano,
      ...bdExtra,
    },
    ...restCost,
  };
  if (row.computed_cost_nano !== null) cost.computedNanoUsd = row.computed_cost_nano;
  if (row.provider_cost_nano !== null) cost.providerNanoUsd = row.provider_cost_nano;
  if (row.price_model !== null) cost.priceModel = row.price_model;
  if (row.tier_above_input_tokens !== null) cost.tierAboveInputTokens = row.tier_above_input_tokens;
  const r: PricedRecord = {
    id: row.id,
    time: row.time,
    provider: row.provider,
    operation: row.operation,
    requestModel: row.request_model,
    usage,
    scope: JSON.parse(row.scope),
    durationMs: row.duration_ms,
    usageSource: row.usage_source,
    cost,
    ...fieldsExtra,
  };
  if (row.response_model !== null) r.responseModel = row.response_model;
  if (row.tool !== '') r.toolName = row.tool;
  if (row.error_type !== null) r.errorType = row.error_type;
  return r;
}

const NUMBER_FIELDS = ['time', 'durationMs'] as const;
const USAGE_FIELDS = ['input', 'output', 'cacheRead', 'cacheWrite', 'cacheWrite1h', 'reasoning'] as const;

/**
 * Throws for a record the table cannot hold (NOT NULL columns get NULL for NaN or a
 * missing field). Checked before the record touches memory: one bad record must fail its
 * own call, not roll back the batch of everyone else's writes.
 */
export function assertStorable(r: PricedRecord): void {
  const bad = (what: string) => {
    throw new TypeError(`usage record ${JSON.stringify(r?.id)}: ${what}; the SQLite store cannot hold it`);
  };
  if (typeof r?.id !== 'string' || r.id === '') bad('id must be a non-empty string');
  for (const f of NUMBER_FIELDS) if (!Number.isFinite(r[f])) bad(`${f} must be a finite number`);
  for (const f of USAGE_FIELDS) if (!Number.isFinite(r.usage?.[f])) bad(`usage.${f} must be a finite number`);
  if (!Number.isFinite(r.cost?.nanoUsd)) bad('cost.nanoUsd must be a finite number');
  for (const s of [
    r.provider,
    r.operation,
    r.requestModel,
    r.usageSource,
    r.cost.source,
    r.cost.catalogVersion,
  ]) {
    if (typeof s !== 'string')
      bad(
        'provider, operation, requestModel, usageSource, cost.source and cost.catalogVersion must be strings',
      );
  }
  const bd = r.cost.breakdownNanoUsd;
  if (!bd || ![bd.input, bd.output, bd.cacheRead, bd.cacheWrite, bd.reasoning].every(Number.isFinite)) {
    bad('cost.breakdownNanoUsd must hold finite numbers');
  }
}
