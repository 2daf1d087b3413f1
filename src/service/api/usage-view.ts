import { z } from 'zod';
import type { BreakdownRow } from '../../budget/breakdown.ts';
import type { PricedRecord } from '../../usage/usage-record.ts';
import { costSchema, costView, tokenUsageViewSchema, usageView } from './cost-view.ts';
import { isoSchema, isoTime, usdSchema, usdString } from './money.ts';
import { named } from './route.ts';

/** Aggregated usage rows and single usage records, as the REST API shows them. */

const int = z.number().int();

export const usageRowSchema = named(
  'UsageRow',
  z.strictObject({
    group: z
      .record(z.string(), z.string())
      .describe("The row's value for each groupBy field ('' when records had none)."),
    calls: int,
    errors: int,
    missingUsage: int.describe('Calls whose provider reported no usage.'),
    unpricedCalls: int.describe('Calls no price matched (charged 0, flagged).'),
    input: int.describe('Input tokens, cache reads and writes included.'),
    output: int.describe('Output tokens, reasoning included.'),
    cacheRead: int,
    cacheWrite: int,
    reasoning: int,
    totalTokens: int.describe('input + output'),
    costNanoUsd: int,
    costUsd: usdSchema,
    durationMs: z.number(),
    avgCostNanoUsd: int.describe('Per call, rounded to whole nano-USD.'),
    avgCostUsd: usdSchema,
    avgInputTokens: z.number(),
    avgOutputTokens: z.number(),
    avgDurationMs: z.number(),
    cacheHitRatio: z.number().describe('cacheRead / input (0 when no input).'),
  }),
);
export type UsageRowView = z.output<typeof usageRowSchema>;

export function usageRowView(r: BreakdownRow): UsageRowView {
  return {
    group: r.group,
    calls: r.calls,
    errors: r.errors,
    missingUsage: r.missingUsage,
    unpricedCalls: r.unpricedCalls,
    input: r.input,
    output: r.output,
    cacheRead: r.cacheRead,
    cacheWrite: r.cacheWrite,
    reasoning: r.reasoning,
    totalTokens: r.input + r.output,
    costNanoUsd: r.costNanoUsd,
    costUsd: usdString(r.costNanoUsd),
    durationMs: r.durationMs,
    avgCostNanoUsd: r.avgCostNanoUsd,
    avgCostUsd: usdString(r.avgCostNanoUsd),
    avgInputTokens: r.avgInputTokens,
    avgOutputTokens: r.avgOutputTokens,
    avgDurationMs: r.avgDurationMs,
    cacheHitRatio: r.cacheHitRatio,
  };
}

const CSV_METRICS = [
  'calls',
  'errors',
  'missingUsage',
  'unpricedCalls',
  'input',
  'output',
  'cacheRead',
  'cacheWrite',
  'reasoning',
  'totalTokens',
  'costNanoUsd',
  'costUsd',
  'durationMs',
] as const;

export function usageRowsCsv(
  groupBy: readonly string[],
  rows: readonly UsageRowView[],
): [string[], unknown[][]] {
  return [
    [...groupBy, ...CSV_METRICS],
    rows.map((r) => [...groupBy.map((g) => r.group[g] ?? ''), ...CSV_METRICS.map((m) => r[m])]),
  ];
}

export const usageRecordViewSchema = named(
  'UsageRecordView',
  z.strictObject({
    id: z.string(),
    time: isoSchema,
    provider: z.string(),
    operation: z.string(),
    requestModel: z.string(),
    responseModel: z.string().optional(),
    usage: tokenUsageViewSchema,
    scope: z.record(z.string(), z.string()),
    toolName: z.string().optional(),
    durationMs: z.number(),
    errorType: z.string().optional(),
    usageSource: z.enum(['provider', 'missing']),
    cost: costSchema,
  }),
);
export type UsageRecordView = z.output<typeof usageRecordViewSchema>;

export function usageRecordView(r: PricedRecord): UsageRecordView {
  const out: UsageRecordView = {
    id: r.id,
    time: isoTime(r.time),
    provider: r.provider,
    operation: r.operation,
    requestModel: r.requestModel,
    usage: usageView(r.usage),
    scope: { ...r.scope },
    durationMs: r.durationMs,
    usageSource: r.usageSource,
    cost: costView(r.cost),
  };
  if (r.responseModel !== undefined) out.responseModel = r.responseModel;
  if (r.toolName !== undefined) out.toolName = r.toolName;
  if (r.errorType !== undefined) out.errorType = r.errorType;
  return out;
}

export const RECORD_CSV_HEADER = [
  'id',
  'time',
  'provider',
  'operation',
  'requestModel',
  'responseModel',
  'toolName',
  'scope',
  'input',
  'output',
  'cacheRead',
  'cacheWrite',
  'cacheWrite1h',
  'reasoning',
  'durationMs',
  'errorType',
  'usageSource',
  'costNanoUsd',
  'costUsd',
  'costSource',
];

export function recordCsvRow(r: UsageRecordView): unknown[] {
  return [
    r.id,
    r.time,
    r.provider,
    r.operation,
    r.requestModel,
    r.responseModel,
    r.toolName,
    JSON.stringify(r.scope),
    r.usage.input,
    r.usage.output,
    r.usage.cacheRead,
    r.usage.cacheWrite,
    r.usage.cacheWrite1h,
    r.usage.reasoning,
    r.durationMs,
    r.errorType,
    r.usageSource,
    r.cost.nanoUsd,
    r.cost.usd,
    r.cost.source,
  ];
}
