import { amountOf } from '../../budget/amounts.ts';
import type { Resource } from '../../budget/budget-spec.ts';
import type { BudgetEngine } from '../../budget/engine.ts';
import type { BudgetEvent } from '../../budget/events.ts';
import { NANO_PER_USD } from '../../pricing/price.ts';
import { effectiveModel, type PricedRecord } from '../../usage/usage-record.ts';
import { SeriesFamily } from './series-family.ts';

/** Divisor from a budget's counter unit to the exported unit (USD, seconds, count). */
export function resourceScale(resource: Resource): number {
  if (resource === 'cost_usd') return NANO_PER_USD;
  if (resource === 'duration_seconds') return 1000;
  return 1;
}

/**
 * Per-budget counters fed by engine events: consumption (monotonic across periods, for
 * `rate()`-based burn-rate alerts), decisions, threshold crossings, expired reservations.
 * Series are per budget id, which admins configure: bounded by the budget set.
 */
export class BudgetCounters {
  readonly consumed = new SeriesFamily({
    name: 'bursar_budget_consumed_total',
    help: 'Usage landed on each budget in its resource unit (USD, tokens, seconds or count), never reset at period start.',
    type: 'counter',
    labelNames: ['budget', 'resource'],
  });
  readonly decisions = new SeriesFamily({
    name: 'bursar_decisions_total',
    help: 'Check and reserve verdicts per budget (allow, warn, soft_limit, deny).',
    type: 'counter',
    labelNames: ['budget', 'decision'],
  });
  readonly thresholdCrossings = new SeriesFamily({
    name: 'bursar_threshold_crossings_total',
    help: 'Budget utilization thresholds crossed (once per budget, group, period and threshold).',
    type: 'counter',
    labelNames: ['budget', 'threshold'],
  });
  readonly reservationsExpired = new SeriesFamily({
    name: 'bursar_reservations_expired_total',
    help: 'Reservations released by expiry because they were never committed or released.',
    type: 'counter',
    labelNames: [],
  });
  readonly #engine: BudgetEngine;

  constructor(engine: BudgetEngine) {
    this.#engine = engine;
    this.reservationsExpired.series([]);
  }

  families(): SeriesFamily[] {
    return [this.consumed, this.decisions, this.thresholdCrossings, this.reservationsExpired];
  }

  /**
   * The budgets a landed record counted against, found the way the engine matched it
   * (same labels, same selector index) and in the same unit (`amountOf`).
   */
  observeUsage(record: PricedRecord): void {
    const labels: Record<string, string | undefined> = { ...record.scope };
    labels.provider = record.provider;
    labels.model = effectiveModel(record);
    labels.operation = record.operation;
    if (record.toolName !== undefined) labels.tool = record.toolName;
    for (const b of this.#engine.match(labels)) {
      const resource = b.spec.resource;
      const amount = amountOf(resource, record);
      if (amount === 0) continue;
      this.consumed.series([b.id, resource], undefined, resourceScale(resource)).value += amount;
    }
  }

  observe(event: BudgetEvent): void {
    switch (event.type) {
      case 'decision':
        for (const b of event.decision.budgets) this.decisions.series([b.budgetId, b.decision]).value += 1;
        break;
      case 'threshold_crossed':
        this.thresholdCrossings.series([event.budgetId, String(event.threshold)]).value += 1;
        break;
      case 'reservation_expired':
        this.reservationsExpired.series([]).value += 1;
        break;
      default:
        break;
    }
  }
}
