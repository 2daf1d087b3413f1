import type { CounterValue } from '../store/store.ts';
import { fromUnits, type Policy, type Resource } from './budget-spec.ts';
import type { CompiledBudget } from './compiled-budget.ts';
import type { PeriodWindow } from './period.ts';

export const DECISIONS = ['allow', 'warn', 'soft_limit', 'deny'] as const;
export type DecisionKind = (typeof DECISIONS)[number];
const RANK: Record<DecisionKind, number> = { allow: 0, warn: 1, soft_limit: 2, deny: 3 };

export interface BudgetDecision {
  budgetId: string;
  group: string;
  policy: Policy;
  resource: Resource;
  decision: DecisionKind;
  /** Shadow budgets never deny; this says whether they would have. */
  wouldDeny: boolean;
  shadow: boolean;
  /** Counter units (nano-USD, tokens, ms, counts). */
  limit: number;
  used: number;
  reserved: number;
  requested: number;
  /** (used + reserved + requested) / limit. */
  utilization: number;
  periodStart: number;
  periodEnd: number;
  reason: string;
}

export interface Decision {
  allowed: boolean;
  decision: DecisionKind;
  reasons: string[];
  budgets: BudgetDecision[];
  /** The call's model has no price: cost budgets applied their `unpriced` rule. */
  unpriced: boolean;
}

function show(resource: Resource, units: number): string {
  const v = fromUnits(resource, units);
  if (resource === 'cost_usd') return `$${v.toFixed(6).replace(/0+$/, '').replace(/\.$/, '')}`;
  if (resource === 'duration_seconds') return `${v}s`;
  return `${v} ${resource.replace('_', ' ')}`;
}

function describe(resource: Resource, counter: CounterValue, requested: number): string {
  return `${show(resource, counter.used)} used + ${show(resource, counter.reserved)} reserved + ${show(resource, requested)} requested`;
}

export interface EvaluateInput {
  budget: CompiledBudget;
  group: string;
  window: PeriodWindow;
  limit: number;
  counter: CounterValue;
  requested: number;
  /** The call's cost is unknown and this is a cost budget. */
  unpriced: boolean;
  /** The store said this budget's cap would be passed (reserve only). */
  capFailed?: boolean;
}

/** One budget's verdict for a call: pure, no side effects. */
export function evaluate(input: EvaluateInput): BudgetDecision {
  const { budget, group, window, limit, counter, requested } = input;
  const spec = budget.spec;
  const after = counter.used + counter.reserved + requested;
  const utilization = limit > 0 ? after / limit : Number.POSITIVE_INFINITY;
  const name = group ? `${spec.id}[${group}]` : spec.id;
  let decision: DecisionKind = 'allow';
  let reason = '';
  // Reason strings are only built for verdicts that carry one: allow is the hot path.
  if (spec.policy === 'IGNORE') {
    reason = `${name}: tracked only (IGNORE)`;
  } else if (input.unpriced && spec.unpriced === 'deny' && spec.policy !== 'WARN') {
    decision = 'deny';
    reason = `${name}: the model has no price and this cost budget denies unpriced calls`;
  } else if (spec.policy === 'HARD_LIMIT' && (input.capFailed || after > limit)) {
    decision = 'deny';
    reason = `${name}: ${describe(spec.resource, counter, requested)} would pass the HARD limit of ${show(spec.resource, limit)}`;
  } else if (spec.policy === 'SOFT_LIMIT' && (input.capFailed || after > budget.cap(limit))) {
    decision = 'deny';
    reason = `${name}: ${describe(spec.resource, counter, requested)} would pass the SOFT limit of ${show(spec.resource, limit)} plus ${spec.grace * 100}% grace`;
  } else if (spec.policy === 'SOFT_LIMIT' && after > limit) {
    decision = 'soft_limit';
    reason = `${name}: ${describe(spec.resource, counter, requested)} passes the SOFT limit of ${show(spec.resource, limit)} (within grace)`;
  } else if (spec.policy === 'WARN' && utilization >= (spec.thresholds[0] ?? 1)) {
    decision = 'warn';
    const passed = spec.thresholds.filter((t) => utilization >= t).at(-1) ?? 1;
    reason = `${name}: at ${(utilization * 100).toFixed(1)}% of ${show(spec.resource, limit)} (past the ${passed * 100}% threshold)`;
  }
  if (reason === '') reason = 'within limit';
  const wouldDeny = decision === 'deny';
  if (spec.shadow && decision === 'deny') {
    decision = 'warn';
    reason = `${reason} [shadow: would deny, allowed]`;
  }
  return {
    budgetId: spec.id,
    group,
    policy: spec.policy,
    resource: spec.resource,
    decision,
    wouldDeny,
    shadow: spec.shadow,
    limit,
    used: counter.used,
    reserved: counter.reserved,
    requested,
    utilization,
    periodStart: window.start,
    periodEnd: window.end,
    reason,
  };
}

/** The most restrictive verdict wins; reasons name every budget that is not a plain allow. */
export function combine(budgets: BudgetDecision[], unpriced: boolean): Decision {
  let decision: DecisionKind = 'allow';
  const reasons: string[] = [];
  for (const b of budgets) {
    if (RANK[b.decision] > RANK[decision]) decision = b.decision;
    if (b.decision !== 'allow' || b.wouldDeny) reasons.push(b.reason);
  }
  if (budgets.length === 0) reasons.push('no budget matches this call');
  return { allowed: decision !== 'deny', decision, reasons, budgets, unpriced };
}

/**
 * The verdict when the store cannot be reached: each budget's `failMode` decides
 * (default: HARD_LIMIT fails closed, every other policy fails open). Never a silent
 * per-process limit: the reason says the store was unavailable.
 */
export function unavailable(
  input: Omit<EvaluateInput, 'counter' | 'unpriced'>,
  error: unknown,
): BudgetDecision {
  const { budget, group, window, limit, requested } = input;
  const spec = budget.spec;
  const mode = spec.failMode ?? (spec.policy === 'HARD_LIMIT' ? 'closed' : 'open');
  const closed = mode === 'closed' && spec.policy !== 'IGNORE';
  const name = group ? `${spec.id}[${group}]` : spec.id;
  const why = error instanceof Error ? error.message : String(error);
  const deny = closed && !spec.shadow;
  return {
    budgetId: spec.id,
    group,
    policy: spec.policy,
    resource: spec.resource,
    decision: deny ? 'deny' : 'warn',
    wouldDeny: closed,
    shadow: spec.shadow,
    limit,
    used: Number.NaN,
    reserved: Number.NaN,
    requested,
    utilization: Number.NaN,
    periodStart: window.start,
    periodEnd: window.end,
    reason: `${name}: budget store unavailable (${why}); failing ${closed ? 'closed' : 'open'}`,
  };
}

export interface UnavailableEntry {
  b: CompiledBudget;
  window: PeriodWindow;
  group: string;
  requested: number;
}

/** The combined verdict for a call when the store could not be reached. */
export function unavailableDecision(
  entries: UnavailableEntry[],
  unpriced: boolean,
  error: unknown,
  now: number,
): Decision {
  return combine(
    entries.map((e) =>
      unavailable(
        {
          budget: e.b,
          group: e.group,
          window: e.window,
          limit: e.b.limitAt(e.group, now),
          requested: e.requested,
        },
        error,
      ),
    ),
    unpriced,
  );
}
