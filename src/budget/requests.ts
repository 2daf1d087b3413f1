import { z } from 'zod';
import type { CostResult } from '../pricing/cost.ts';
import type { Hold, RecordItem, Reservation } from '../store/store.ts';
import { scopeSchema } from '../usage/scope.ts';
import { completeUsage, tokenUsageFieldsSchema } from '../usage/token-usage.ts';
import { type PricedRecord, type UsageRecord, usageRecordSchema } from '../usage/usage-record.ts';
import { fastSchema } from '../validation/fast-schema.ts';
import { estimateSchema } from './amounts.ts';
import type { Decision } from './decision.ts';

// The engine's request and result shapes. Each schema validates untrusted input
// (REST bodies, in-process callers) and, through fastSchema, does so on the hot path.

/** Who a call is for and what it is: the labels budget selectors match. */
export const callSchema = z
  .object({
    scope: scopeSchema.default({}),
    provider: z.string().min(1).max(256).optional(),
    model: z.string().min(1).max(256).optional(),
    operation: z.string().min(1).max(256).optional(),
    tool: z.string().min(1).max(256).optional(),
    estimate: estimateSchema.default({}),
  })
  .strict();
export type CallInput = z.input<typeof callSchema>;
export type Call = z.output<typeof callSchema>;

export const reserveSchema = callSchema.extend({
  ttlMs: z.number().int('must be whole milliseconds').positive('must be greater than zero').optional(),
  idempotencyKey: z.string().min(1).max(256).optional(),
});
export type ReserveInput = z.input<typeof reserveSchema>;
export type ReserveRequest = z.output<typeof reserveSchema>;

/** The usage a commit reports; labels default to the reservation's. */
const r = usageRecordSchema.shape;
export const commitSchema = z
  .object({
    id: r.id.optional(),
    time: r.time.optional(),
    provider: r.provider.optional(),
    operation: r.operation.optional(),
    requestModel: r.requestModel.optional(),
    responseModel: r.responseModel,
    usage: tokenUsageFieldsSchema,
    scope: scopeSchema.optional(),
    toolName: r.toolName,
    durationMs: z
      .number()
      .nonnegative('must not be negative')
      .max(7 * 24 * 3600 * 1000, 'must be at most 7 days')
      .optional(),
    errorType: r.errorType,
    usageSource: z.enum(['provider', 'missing']).optional(),
    providerCostNanoUsd: r.providerCostNanoUsd,
  })
  .strict();
export type CommitInput = z.input<typeof commitSchema>;
export type CommitUsage = z.output<typeof commitSchema>;

export interface ReserveResult {
  decision: Decision;
  reservation?: Reservation;
  replayed?: boolean;
  /** The store could not be reached: the decision follows each budget's failMode and nothing is held. */
  storeUnavailable?: boolean;
}

export interface CommitResult {
  status: 'committed' | 'duplicate' | 'late' | 'not_found';
  record?: PricedRecord;
  /** Per budget: actual minus held, in counter units (positive = overage, recorded in full). */
  readonly overage?: Record<string, number>;
}

/**
 * A landed commit. The per-budget overage is worked out when someone asks for it:
 * most callers never do, and the hot path then builds no keyed object per commit.
 */
export class LandedCommit implements CommitResult {
  readonly status: 'committed' | 'late';
  readonly record: PricedRecord;
  readonly #item: RecordItem;
  readonly #holds: readonly Hold[];

  constructor(status: 'committed' | 'late', record: PricedRecord, item: RecordItem, holds: readonly Hold[]) {
    this.status = status;
    this.record = record;
    this.#item = item;
    this.#holds = holds;
  }

  get overage(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const inc of this.#item.increments) {
      const held = this.#holds.find((h) => h.budgetId === inc.counter.budgetId)?.amount ?? 0;
      out[inc.counter.budgetId] = inc.used - held;
    }
    return out;
  }

  toJSON(): CommitResult {
    return { status: this.status, record: this.record, overage: this.overage };
  }
}

export interface RecordResult {
  id: string;
  duplicate: boolean;
  cost: CostResult;
}

export const fastCall = fastSchema(callSchema, 'check');
export const fastReserve = fastSchema(reserveSchema, 'reservation');
export const fastCommit = fastSchema(commitSchema, 'commit');

/**
 * The usage record a commit writes: the commit's own fields, else the labels the
 * reservation was made with. Both were validated on the way in, so the merge needs no
 * second parse.
 */
export function recordFromCommit(reservation: Reservation, actual: CommitUsage, now: number): UsageRecord {
  const req = reservation.request;
  const merged: UsageRecord = {
    id: actual.id ?? `reservation:${reservation.id}`,
    time: actual.time ?? now,
    provider: actual.provider ?? req.provider ?? 'unknown',
    operation: actual.operation ?? req.operation ?? 'chat',
    requestModel: actual.requestModel ?? req.model ?? 'unknown',
    usage: completeUsage(actual.usage, 'commit usage'),
    scope: actual.scope ? { ...req.scope, ...actual.scope } : req.scope,
    durationMs: actual.durationMs ?? 0,
    usageSource: actual.usageSource ?? 'provider',
  };
  const tool = actual.toolName ?? req.tool;
  if (tool !== undefined) merged.toolName = tool;
  if (actual.responseModel !== undefined) merged.responseModel = actual.responseModel;
  if (actual.errorType !== undefined) merged.errorType = actual.errorType;
  if (actual.providerCostNanoUsd !== undefined) merged.providerCostNanoUsd = actual.providerCostNanoUsd;
  return merged;
}
