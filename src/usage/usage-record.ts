import { z } from 'zod';
import type { CostResult } from '../pricing/cost.ts';
import { fastSchema } from '../validation/fast-schema.ts';
import { labelValue, type Scope, scopeSchema } from './scope.ts';
import { completeUsage, type TokenUsage, tokenUsageFieldsSchema } from './token-usage.ts';

/** How a record's token counts were obtained. Never 'estimated': bursar does not estimate usage. */
export type UsageSource = 'provider' | 'missing';

/**
 * The one record every source becomes: our adapters, OTLP spans and metrics of any
 * semconv generation, REST calls. `id` is the idempotency key: a record seen twice
 * is counted once.
 */
export interface UsageRecord {
  id: string;
  /** Unix epoch milliseconds when the call ended. */
  time: number;
  provider: string;
  operation: string;
  requestModel: string;
  responseModel?: string;
  usage: TokenUsage;
  scope: Scope;
  toolName?: string;
  durationMs: number;
  errorType?: string;
  usageSource: UsageSource;
  /** Cost the provider itself reported (e.g. OpenRouter's usage.cost), in nano-USD. */
  providerCostNanoUsd?: number;
}

/** A record after the pricing stage. */
export interface PricedRecord extends UsageRecord {
  cost: CostResult;
}

export const MAX_DURATION_MS = 7 * 24 * 3600 * 1000;
/** 2000-01-01 .. 2200-01-01: anything outside is a unit mistake (seconds or µs for ms). */
export const MIN_TIME = 946_684_800_000;
export const MAX_TIME = 7_258_118_400_000;

export const usageRecordSchema = z
  .object({
    id: z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters'),
    time: z
      .number()
      .int('must be whole epoch milliseconds')
      .min(MIN_TIME, 'must be epoch milliseconds after 2000-01-01')
      .max(MAX_TIME, 'must be epoch milliseconds before 2200-01-01'),
    provider: labelValue,
    operation: labelValue,
    requestModel: labelValue,
    responseModel: labelValue.optional(),
    usage: tokenUsageFieldsSchema,
    scope: scopeSchema.default({}),
    toolName: labelValue.optional(),
    durationMs: z
      .number()
      .nonnegative('must not be negative')
      .max(MAX_DURATION_MS, 'must be at most 7 days')
      .default(0),
    errorType: labelValue.optional(),
    usageSource: z.enum(['provider', 'missing']).default('provider'),
    providerCostNanoUsd: z
      .number()
      .int('must be whole nano-USD')
      .nonnegative('must not be negative')
      .optional(),
  })
  .strict();

export type UsageRecordInput = z.input<typeof usageRecordSchema>;

const fastRecord = fastSchema(usageRecordSchema, 'usage record');

/**
 * Validates a record (every field, each count, the cache ⊂ input and reasoning ⊂
 * output rules) and fills absent token counts with zero. Throws a ValidationError
 * that names the field.
 */
export function parseUsageRecord(input: unknown, what = 'usage record'): UsageRecord {
  const r = fastRecord.parse(input, what);
  return { ...r, usage: completeUsage(r.usage, `${what}: usage`) };
}

/** The model a record is priced and grouped by: the response model when the provider named one. */
export function effectiveModel(r: UsageRecord): string {
  return r.responseModel ?? r.requestModel;
}
