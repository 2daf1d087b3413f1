import type { CounterRow, Snapshot } from '../store/store.ts';
import { fromUnits, type Policy, type Resource } from './budget-spec.ts';
import type { CompiledBudget } from './compiled-budget.ts';
import type { BudgetEngine } from './engine.ts';
import type { Period } from './period.ts';

export interface BudgetStatus {
  budgetId: string;
  name?: string;
  group: string;
  resource: Resource;
  period: Period;
  timeZone: string;
  policy: Policy;
  shadow: boolean;
  /** Counter units: nano-USD, tokens, ms or counts. `limit` includes active overrides. */
  limit: number;
  baseLimit: number;
  used: number;
  reserved: number;
  remaining: number;
  /** used / limit. */
  utilization: number;
  critical: boolean;
  periodStart: number;
  /** null for `total`. */
  periodEnd: number | null;
  /** Units per second spent so far this period; null for `total`. */
  burnRate: number | null;
  /** burnRate / (limit / period length): 1 spends exactly the limit by period end. */
  burnRateRatio: number | null;
  /** When the limit is reached at the current burn rate; null if not before period end. */
  forecastExhaustedAt: number | null;
  /** The same figures in the user's unit (USD, seconds, count), for display. */
  display: { limit: number; used: number; reserved: number; remaining: number };
}

export interface StatusReport {
  time: number;
  budgets: BudgetStatus[];
  isAnyCritical: boolean;
}

export function budgetStatus(
  b: CompiledBudget,
  row: CounterValueRow,
  now: number,
  periodEnd: number,
): BudgetStatus {
  const spec = b.spec;
  const limit = b.limitAt(row.group, now);
  const remaining = Math.max(0, limit - row.used - row.reserved);
  const utilization = limit > 0 ? row.used / limit : 0;
  const finite = Number.isFinite(periodEnd);
  const elapsedS = Math.max(1, (now - row.periodStart) / 1000);
  const burnRate = finite ? row.used / elapsedS : null;
  const sustainable = finite ? limit / ((periodEnd - row.periodStart) / 1000) : null;
  let forecastExhaustedAt: number | null = null;
  if (burnRate !== null && burnRate > 0) {
    const at = now + ((limit - row.used) / burnRate) * 1000;
    forecastExhaustedAt = row.used >= limit ? now : at < periodEnd ? Math.round(at) : null;
  }
  const status: BudgetStatus = {
    budgetId: spec.id,
    group: row.group,
    resource: spec.resource,
    period: spec.period,
    timeZone: spec.timeZone,
    policy: spec.policy,
    shadow: spec.shadow,
    limit,
    baseLimit: b.baseLimit,
    used: row.used,
    reserved: row.reserved,
    remaining,
    utilization,
    critical: spec.policy !== 'IGNORE' && utilization >= spec.criticalAt,
    periodStart: row.periodStart,
    periodEnd: finite ? periodEnd : null,
    burnRate,
    burnRateRatio: burnRate !== null && sustainable ? burnRate / sustainable : null,
    forecastExhaustedAt,
    display: {
      limit: fromUnits(spec.resource, limit),
      used: fromUnits(spec.resource, row.used),
      reserved: fromUnits(spec.resource, row.reserved),
      remaining: fromUnits(spec.resource, remaining),
    },
  };
  if (spec.name !== undefined) status.name = spec.name;
  return status;
}

type CounterValueRow = Pick<CounterRow, 'group' | 'periodStart' | 'used' | 'reserved'>;

/** Status of every budget (or the given ones) for the current period. */
export async function statusReport(
  engine: BudgetEngine,
  budgetIds?: readonly string[],
): Promise<StatusReport> {
  const now = engine.now();
  const out: BudgetStatus[] = [];
  for (const b of engine.budgets()) {
    if (budgetIds && !budgetIds.includes(b.id)) continue;
    const window = b.window(engine.clock, now);
    let rows: CounterValueRow[];
    if (b.groupBy.length === 0) {
      const [value] = await engine.store.getCounters([b.counter('', window)]);
      rows = [
        { group: '', periodStart: window.start, used: value?.used ?? 0, reserved: value?.reserved ?? 0 },
      ];
    } else {
      rows = await engine.store.listCounters(b.id, window.start);
    }
    for (const row of rows) out.push(budgetStatus(b, row, now, window.end));
  }
  return { time: now, budgets: out, isAnyCritical: out.some((s) => s.critical) };
}

/** Saves the current status of every budget as history rows. */
export async function snapshotHistory(engine: BudgetEngine): Promise<number> {
  const report = await statusReport(engine);
  const rows: Snapshot[] = report.budgets.map((s) => ({
    time: report.time,
    budgetId: s.budgetId,
    group: s.group,
    periodStart: s.periodStart,
    used: s.used,
    reserved: s.reserved,
    limit: s.limit,
  }));
  await engine.store.saveSnapshots(rows);
  return rows.length;
}
