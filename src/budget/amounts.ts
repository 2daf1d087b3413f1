import { z } from 'zod';
import type { CostResult } from '../pricing/cost.ts';
import { GEN_AI_OPERATION } from '../semconv.ts';
import type { TokenUsage } from '../usage/token-usage.ts';
import { tokenCount } from '../usage/token-usage.ts';
import type { Resource } from './budget-spec.ts';

/** What a caller expects a call to use, for check and reserve. */
export const estimateSchema = z
  .object({
    inputTokens: tokenCount.optional(),
    outputTokens: tokenCount.optional(),
    /** When the caller already knows the cost (e.g. a fixed-price tool). */
    costUsd: z.number().nonnegative('must not be negative').max(1e6, 'must be at most 1e6').optional(),
    durationSeconds: z
      .number()
      .nonnegative('must not be negative')
      .max(86_400, 'must be at most 86400')
      .optional(),
  })
  .strict();
export type Estimate = z.output<typeof estimateSchema>;

export function usageFromEstimate(e: Estimate): TokenUsage {
  return {
    input: e.inputTokens ?? 0,
    output: e.outputTokens ?? 0,
    cacheRead: 0,
    cacheWrite: 0,
    cacheWrite1h: 0,
    reasoning: 0,
  };
}

/** Cost of an estimate: the stated cost wins; else the priced usage. */
export function estimateCost(e: Estimate, priced: CostResult): { nanoUsd: number; unpriced: boolean } {
  if (e.costUsd !== undefined) return { nanoUsd: Math.round(e.costUsd * 1e9), unpriced: false };
  return { nanoUsd: priced.nanoUsd, unpriced: priced.unpriced };
}

/** What `amountOf` reads: a priced record, or an estimate shaped like one. */
export interface EstimatedCall {
  usage: TokenUsage;
  cost: { nanoUsd: number };
  operation: string;
  durationMs: number;
}

/**
 * One call's size in one budget's counter unit: nano-USD, tokens, milliseconds or a
 * count. A tool call is a tool call, not a model request.
 */
export function amountOf(resource: Resource, r: EstimatedCall): number {
  switch (resource) {
    case 'cost_usd':
      return r.cost.nanoUsd;
    case 'tokens':
      return r.usage.input + r.usage.output;
    case 'input_tokens':
      return r.usage.input;
    case 'output_tokens':
      return r.usage.output;
    case 'requests':
      return r.operation === GEN_AI_OPERATION.EXECUTE_TOOL ? 0 : 1;
    case 'tool_calls':
      return r.operation === GEN_AI_OPERATION.EXECUTE_TOOL ? 1 : 0;
    case 'duration_seconds':
      return Math.round(r.durationMs);
  }
}
