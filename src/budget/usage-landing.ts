import type { CounterIncrement, CounterValue, RecordItem } from '../store/store.ts';
import { filterScope } from '../usage/scope.ts';
import { effectiveModel, type PricedRecord, type UsageRecord } from '../usage/usage-record.ts';
import { amountOf } from './amounts.ts';
import type { BudgetSet } from './budget-set.ts';
import type { Pricer } from './engine.ts';
import type { BudgetEvents } from './events.ts';
import type { PeriodClock } from './period.ts';
import type { ThresholdWatcher } from './threshold-watcher.ts';

/**
 * How a usage record lands on the budgets: priced, matched to every budget whose
 * selector it meets, turned into one counter increment per budget (in the period of
 * the record's own time), and, once the store applied it, watched for thresholds.
 */
export class UsageLanding {
  readonly #set: BudgetSet;
  readonly #clock: PeriodClock;
  readonly #pricer: Pricer;
  readonly #thresholds: ThresholdWatcher;
  readonly #events: BudgetEvents;
  readonly #customLabels: ReadonlySet<string>;

  constructor(
    set: BudgetSet,
    clock: PeriodClock,
    pricer: Pricer,
    thresholds: ThresholdWatcher,
    events: BudgetEvents,
    customLabels: ReadonlySet<string>,
  ) {
    this.#set = set;
    this.#clock = clock;
    this.#pricer = pricer;
    this.#thresholds = thresholds;
    this.#events = events;
    this.#customLabels = customLabels;
  }

  /** Prices a record the engine built or parsed itself (mutated in place: no copy on the hot path). */
  price(record: UsageRecord, scopeFiltered = false): PricedRecord {
    const priced = record as PricedRecord;
    if (!scopeFiltered) priced.scope = filterScope(record.scope, this.#customLabels);
    priced.cost = this.#pricer.price(record);
    return priced;
  }

  item(record: PricedRecord): RecordItem {
    // record.scope was filtered when the record was priced: no second copy here.
    const labels: Record<string, string | undefined> = { ...record.scope };
    labels.provider = record.provider;
    labels.model = effectiveModel(record);
    labels.operation = record.operation;
    if (record.toolName !== undefined) labels.tool = record.toolName;
    const matched = this.#set.match(labels);
    const increments: CounterIncrement[] = new Array(matched.length);
    for (let i = 0; i < matched.length; i++) {
      const b = matched[i]!;
      const window = b.window(this.#clock, record.time);
      increments[i] = {
        counter: b.counter(b.groupOf(labels), window),
        used: amountOf(b.spec.resource, record),
      };
    }
    return { record, increments };
  }

  /** Events after usage landed. Returns a promise only when a threshold mark must be stored. */
  after(item: RecordItem, counters: CounterValue[], now: number): Promise<void> | undefined {
    if (this.#events.has('usage_recorded'))
      this.#events.emit({ type: 'usage_recorded', time: now, record: item.record });
    let pending: Promise<void>[] | undefined;
    for (let i = 0; i < item.increments.length; i++) {
      const ref = item.increments[i]!.counter;
      const budget = this.#set.get(ref.budgetId);
      const p = budget && this.#thresholds.observe(budget, ref, counters[i]!, now);
      if (p) (pending ??= []).push(p);
    }
    return pending && Promise.all(pending).then(() => undefined);
  }
}
