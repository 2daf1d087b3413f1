import { z } from 'zod';
import type { CostResult } from '../pricing/cost.ts';
import { GEN_AI_OPERATION } from '../semconv.ts';
import type { TokenUsage } from '../usage/token-usage.ts';
import { tokenCount } from '../usage/token-usage.ts';
import type { Resource } from './budget-spec.ts';

/** One call's size in every resource's counter unit (nano-USD, tokens, ms, counts). */
export type Amounts = Record<Resource, number>;

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

export function amountsFromUsage(
  usage: TokenUsage,
  costNanoUsd: number,
  operation: string | undefined,
  durationMs: number,
): Amounts {
  const isTool = operation === GEN_AI_OPERATION.EXECUTE_TOOL;
  return {
    cost_usd: costNanoUsd,
    tokens: usage.input + usage.output,
    input_tokens: usage.input,
    output_tokens: usage.output,
    // A tool call is a tool call, not a model request.
    requests: isTool ? 0 : 1,
    tool_calls: isTool ? 1 : 0,
    duration_seconds: Math.round(durationMs),
  };
}

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
