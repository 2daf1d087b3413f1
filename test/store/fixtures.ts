import { type BudgetSpec, parseBudgetSpec } from '../../src/budget/budget-spec.ts';
import type { CostResult } from '../../src/pricing/cost.ts';
import {
  type AuditEntry,
  type CounterIncrement,
  type CounterRef,
  counterKey,
  type HoldSpec,
  type Override,
  type RecordItem,
  type Reservation,
} from '../../src/store/store.ts';
import type { PricedRecord } from '../../src/usage/usage-record.ts';

/** Hand-built store inputs: the store tests do not depend on pricing or the engine. */

export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
export const DAY = Date.UTC(2026, 0, 15);

export function ref(budgetId: string, group = '', periodStart = DAY): CounterRef {
  return { key: counterKey(budgetId, group, periodStart), budgetId, group, periodStart };
}

export function hold(counter: CounterRef, amount: number, cap = Number.POSITIVE_INFINITY): HoldSpec {
  return { counter, amount, cap };
}

export function reservation(id: string, holds: HoldSpec[], extra: Partial<Reservation> = {}): Reservation {
  return {
    id,
    createdAt: T0,
    expiresAt: T0 + 60_000,
    state: 'active',
    holds: holds.map((h) => ({ key: h.counter.key, budgetId: h.counter.budgetId, amount: h.amount })),
    request: { scope: { tenant: 'acme' }, provider: 'openai', model: 'gpt-5.5', operation: 'chat' },
    ...extra,
  };
}

export function cost(nanoUsd: number, extra: Partial<CostResult> = {}): CostResult {
  return {
    nanoUsd,
    computedNanoUsd: nanoUsd,
    source: 'computed',
    unpriced: false,
    catalogVersion: '2026-01-01',
    priceModel: 'gpt-5.5',
    breakdownNanoUsd: { input: nanoUsd, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 },
    ...extra,
  };
}

export function priced(id: string, extra: Partial<PricedRecord> = {}): PricedRecord {
  return {
    id,
    time: T0,
    provider: 'openai',
    operation: 'chat',
    requestModel: 'gpt-5.5',
    usage: { input: 100, output: 20, cacheRead: 10, cacheWrite: 0, cacheWrite1h: 0, reasoning: 5 },
    scope: { tenant: 'acme', project: 'web' },
    durationMs: 250,
    usageSource: 'provider',
    cost: cost(1_000),
    ...extra,
  };
}

export function item(record: PricedRecord, increments: [CounterRef, number][] = []): RecordItem {
  return { record, increments: increments.map(([counter, used]): CounterIncrement => ({ counter, used })) };
}

export function budget(id: string, limitUsd = 10): BudgetSpec {
  return parseBudgetSpec({ id, resource: 'cost_usd', period: 'day', limit: limitUsd, policy: 'HARD_LIMIT' });
}

export function audit(action: AuditEntry['action'], subject: string, time = T0): AuditEntry {
  return { time, action, subject, author: 'alice', detail: `${action} ${subject}` };
}

export function override(id: string, budgetId: string, extra: Partial<Override> = {}): Override {
  return {
    id,
    budgetId,
    amount: 5_000_000_000,
    createdAt: T0,
    expiresAt: T0 + 3_600_000,
    reason: 'launch day',
    author: 'bob',
    ...extra,
  };
}
