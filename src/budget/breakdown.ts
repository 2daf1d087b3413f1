import { z } from 'zod';
import { USAGE_GROUP_FIELDS, type UsageAggregate } from '../store/store.ts';
import { emptyAggregate } from '../store/usage-aggregate.ts';
import { parseWith } from '../validation/errors.ts';
import type { BudgetEngine } from './engine.ts';

export const breakdownQuerySchema = z
  .object({
    from: z.number().int().nonnegative(),
    to: z.number().int().positive(),
    by: z.array(z.enum(USAGE_GROUP_FIELDS)).min(1).max(4).default(['model']),
    top: z.number().int().positive().max(1000).optional(),
    filter: z.record(z.string(), z.string()).optional(),
  })
  .strict()
  .refine((q) => q.to > q.from, { path: ['to'], message: 'must be after from' });
export type BreakdownQuery = z.input<typeof breakdownQuerySchema>;

export interface BreakdownRow extends UsageAggregate {
  /** Per call, for the "averages per call" view. */
  avgCostNanoUsd: number;
  avgInputTokens: number;
  avgOutputTokens: number;
  avgDurationMs: number;
  /** cacheRead / input: how much of the input was served from cache. */
  cacheHitRatio: number;
}

export interface Breakdown {
  rows: BreakdownRow[];
  /** Everything past `top`, summed, so the rows always add up to the total. */
  other?: BreakdownRow;
  total: BreakdownRow;
}

function withAverages(a: UsageAggregate): BreakdownRow {
  const calls = Math.max(1, a.calls);
  return {
    ...a,
    avgCostNanoUsd: Math.round(a.costNanoUsd / calls),
    avgInputTokens: a.input / calls,
    avgOutputTokens: a.output / calls,
    avgDurationMs: a.durationMs / calls,
    cacheHitRatio: a.input > 0 ? a.cacheRead / a.input : 0,
  };
}

function sum(into: UsageAggregate, a: UsageAggregate): void {
  into.calls += a.calls;
  into.errors += a.errors;
  into.missingUsage += a.missingUsage;
  into.unpricedCalls += a.unpricedCalls;
  into.input += a.input;
  into.output += a.output;
  into.cacheRead += a.cacheRead;
  into.cacheWrite += a.cacheWrite;
  into.reasoning += a.reasoning;
  into.costNanoUsd += a.costNanoUsd;
  into.durationMs += a.durationMs;
}

/** Usage grouped by agent, model, provider, operation, tool or scope label; biggest spend first. */
export async function breakdown(engine: BudgetEngine, input: BreakdownQuery): Promise<Breakdown> {
  const q = parseWith(breakdownQuerySchema, input, 'breakdown');
  const groups = await engine.store.aggregateUsage({
    from: q.from,
    to: q.to,
    groupBy: q.by,
    filter: q.filter,
  });
  groups.sort((a, b) => b.costNanoUsd - a.costNanoUsd || b.input + b.output - (a.input + a.output));
  const total = emptyAggregate({});
  for (const g of groups) sum(total, g);
  const shown = q.top !== undefined ? groups.slice(0, q.top) : groups;
  const result: Breakdown = { rows: shown.map(withAverages), total: withAverages(total) };
  if (q.top !== undefined && groups.length > q.top) {
    const other = emptyAggregate(Object.fromEntries(q.by.map((f) => [f, '(other)'])));
    for (const g of groups.slice(q.top)) sum(other, g);
    result.other = withAverages(other);
  }
  return result;
}
