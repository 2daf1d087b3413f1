import type { CounterRef, CounterValue, Store } from '../store/store.ts';
import type { CompiledBudget } from './compiled-budget.ts';
import type { BudgetEvents } from './events.ts';

/**
 * Emits `threshold_crossed` once per budget, group, period and threshold, and
 * `budget_exceeded` once per budget, group and period. "Once" holds across restarts
 * and replicas because the mark is set in the store; a local set spares the store a
 * round trip for marks this process already saw.
 */
export class ThresholdWatcher {
  readonly #store: Store;
  readonly #events: BudgetEvents;
  readonly #seen = new Set<string>();

  constructor(store: Store, events: BudgetEvents) {
    this.#store = store;
    this.#events = events;
  }

  /**
   * Synchronous unless a threshold is newly reached: the common call (nothing crossed,
   * or crossings this process already marked) allocates no promise.
   */
  observe(
    budget: CompiledBudget,
    ref: CounterRef,
    counter: CounterValue,
    now: number,
  ): Promise<void> | undefined {
    const spec = budget.spec;
    if (spec.policy === 'IGNORE') return undefined;
    const limit = budget.limitAt(ref.group, now);
    const utilization = limit > 0 ? counter.used / limit : Number.POSITIVE_INFINITY;
    const first = spec.thresholds[0];
    if (first === undefined || utilization < first) return undefined;
    const due: [threshold: number, key: string][] = [];
    for (const threshold of spec.thresholds) {
      if (utilization < threshold) break;
      const key = `${ref.key}\u0000t${threshold}`;
      if (!this.#seen.has(key)) due.push([threshold, key]);
    }
    const exceededKey = `${ref.key}\u0000exceeded`;
    const exceeded = counter.used > limit && !this.#seen.has(exceededKey);
    if (due.length === 0 && !exceeded) return undefined;
    const point = {
      time: now,
      budgetId: spec.id,
      group: ref.group,
      periodStart: ref.periodStart,
      used: counter.used,
      limit,
      utilization,
    };
    return (async () => {
      for (const [threshold, key] of due) {
        if (await this.#markOnce(key)) {
          this.#events.emit({ type: 'threshold_crossed', threshold, ...point });
        }
      }
      if (exceeded && (await this.#markOnce(exceededKey)))
        this.#events.emit({ type: 'budget_exceeded', ...point });
    })();
  }

  async #markOnce(key: string): Promise<boolean> {
    if (this.#seen.has(key)) return false;
    if (this.#seen.size > 100_000) this.#seen.clear();
    this.#seen.add(key);
    return this.#store.mark(key);
  }
}
