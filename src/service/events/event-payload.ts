import { fromUnits } from '../../budget/budget-spec.ts';
import type { BudgetEngine } from '../../budget/engine.ts';
import type { BudgetEvent } from '../../budget/events.ts';
import type { BudgetStatus } from '../../budget/status.ts';
import { nanoToUsd } from '../../pricing/price.ts';
import { effectiveModel, type PricedRecord } from '../../usage/usage-record.ts';
import { groupValues, type Subject } from './ws-filter.ts';

/**
 * The JSON shapes events leave the service in, shared by WebSocket clients and webhooks.
 * Amounts are in the budget's unit for people (USD, tokens, seconds, count), not the
 * integer counter units; times are epoch milliseconds.
 */

export const ALERT_TYPES = [
  'threshold_crossed',
  'budget_exceeded',
  'override_set',
  'reservation_expired',
  'decision_denied',
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

export type Payload = Record<string, unknown>;

export interface Alert {
  type: AlertType;
  payload: Payload;
  subject: Subject;
}

/** `usage_recorded` as one compact WebSocket message. */
export function usageMessage(time: number, r: PricedRecord): Payload {
  const u = r.usage;
  const m: Payload = {
    type: 'usage',
    time,
    id: r.id,
    recordTime: r.time,
    provider: r.provider,
    model: effectiveModel(r),
    operation: r.operation,
    scope: r.scope,
    tokens: {
      input: u.input,
      output: u.output,
      cacheRead: u.cacheRead,
      cacheWrite: u.cacheWrite,
      reasoning: u.reasoning,
    },
    costUsd: nanoToUsd(r.cost.nanoUsd),
    unpriced: r.cost.unpriced,
    durationMs: r.durationMs,
  };
  if (r.toolName !== undefined) m.tool = r.toolName;
  if (r.errorType !== undefined) m.error = r.errorType;
  return m;
}

/** One budget row of a `status` message. */
export function statusView(engine: BudgetEngine, s: BudgetStatus): Payload {
  const spec = engine.budget(s.budgetId)?.spec;
  const v: Payload = {
    budgetId: s.budgetId,
    group: s.group,
    resource: s.resource,
    period: s.period,
    policy: s.policy,
    limit: s.display.limit,
    used: s.display.used,
    reserved: s.display.reserved,
    remaining: s.display.remaining,
    utilization: s.utilization,
    critical: s.critical,
    periodStart: s.periodStart,
    periodEnd: s.periodEnd,
    burnRateRatio: s.burnRateRatio,
    forecastExhaustedAt: s.forecastExhaustedAt,
  };
  if (s.name !== undefined) v.name = s.name;
  if (spec && spec.groupBy.length > 0) v.groupLabels = groupValues(spec, s.group);
  return v;
}

/** The alert an engine event becomes, or undefined for events that are not alerts. */
export function alertOf(engine: BudgetEngine, e: BudgetEvent): Alert | undefined {
  switch (e.type) {
    case 'threshold_crossed':
    case 'budget_exceeded': {
      const spec = engine.budget(e.budgetId)?.spec;
      const resource = spec?.resource;
      const shown = (units: number) => (resource ? fromUnits(resource, units) : units);
      const payload: Payload = {
        type: e.type,
        time: e.time,
        budgetId: e.budgetId,
        group: e.group,
        periodStart: e.periodStart,
        used: shown(e.used),
        limit: shown(e.limit),
        utilization: e.utilization,
      };
      if (e.type === 'threshold_crossed') payload.threshold = e.threshold;
      if (spec) {
        payload.resource = spec.resource;
        payload.period = spec.period;
        payload.policy = spec.policy;
        if (spec.name !== undefined) payload.name = spec.name;
        if (spec.groupBy.length > 0) payload.groupLabels = groupValues(spec, e.group);
      }
      return {
        type: e.type,
        payload,
        subject: { kind: 'budgets', budgets: [{ budgetId: e.budgetId, group: e.group }] },
      };
    }
    case 'override_set': {
      const o = e.override;
      const resource = engine.budget(o.budgetId)?.spec.resource;
      const payload: Payload = {
        type: e.type,
        time: e.time,
        overrideId: o.id,
        budgetId: o.budgetId,
        amount: resource ? fromUnits(resource, o.amount) : o.amount,
        expiresAt: o.expiresAt,
        reason: o.reason,
        author: o.author,
      };
      if (o.group !== undefined) payload.group = o.group;
      const target: { budgetId: string; group?: string } = { budgetId: o.budgetId };
      if (o.group !== undefined) target.group = o.group;
      return { type: e.type, payload, subject: { kind: 'budgets', budgets: [target] } };
    }
    case 'reservation_expired': {
      const r = e.reservation;
      const payload: Payload = {
        type: e.type,
        time: e.time,
        reservationId: r.id,
        createdAt: r.createdAt,
        expiresAt: r.expiresAt,
        scope: r.request.scope,
        holds: r.holds.map((h) => {
          const resource = engine.budget(h.budgetId)?.spec.resource;
          return { budgetId: h.budgetId, amount: resource ? fromUnits(resource, h.amount) : h.amount };
        }),
      };
      if (r.request.provider !== undefined) payload.provider = r.request.provider;
      if (r.request.model !== undefined) payload.model = r.request.model;
      return { type: e.type, payload, subject: { kind: 'scope', scope: r.request.scope } };
    }
    case 'decision': {
      if (e.decision.allowed) return undefined;
      const denying = e.decision.budgets.filter((b) => b.decision === 'deny');
      const payload: Payload = {
        type: 'decision_denied',
        time: e.time,
        operation: e.operation,
        reasons: e.decision.reasons,
        budgets: denying.map((b) => ({
          budgetId: b.budgetId,
          group: b.group,
          resource: b.resource,
          policy: b.policy,
          used: fromUnits(b.resource, b.used),
          reserved: fromUnits(b.resource, b.reserved),
          requested: fromUnits(b.resource, b.requested),
          limit: fromUnits(b.resource, b.limit),
        })),
      };
      return {
        type: 'decision_denied',
        payload,
        subject: { kind: 'budgets', budgets: denying.map((b) => ({ budgetId: b.budgetId, group: b.group })) },
      };
    }
    default:
      return undefined;
  }
}
