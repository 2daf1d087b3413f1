import { setImmediate as nextTurn } from 'node:timers/promises';
import type { BudgetEngine } from '../../budget/engine.ts';
import { type BudgetStatus, statusReport } from '../../budget/status.ts';
import { resourceScale } from './budget-counters.ts';
import { type LabelLimiter, OVERFLOW } from './label-limiter.ts';
import { SeriesFamily } from './series-family.ts';

/** Budgets read from the store between two yields to the event loop. */
const BUDGETS_PER_CHUNK = 25;

const LABELS = ['budget', 'resource', 'period', 'group'] as const;

/** A grouped budget's group as a label value: its groupBy values joined by commas. */
function groupLabel(group: string): string {
  return group === '' ? '__none__' : group.replaceAll('\u0001', ',');
}

/** One series' figures in counter units. */
interface Figures {
  limit: number;
  used: number;
  reserved: number;
  remaining: number;
  utilization: number;
  periodEnd: number | null;
}

/**
 * Per-budget gauges, computed at scrape time from the engine's `statusReport` (no budget
 * logic here). The report is read a few budgets at a time with a yield in between, so a
 * scrape of many budgets never holds the event loop for long; one computation is shared by
 * concurrent scrapes and reused for `cacheMs`. A grouped budget keeps one series per group
 * up to the label cap; further groups are summed into one `group="__overflow__"` series.
 */
export class BudgetGauges {
  readonly limit = gauge('bursar_budget_limit', 'Budget limit, overrides included, in its resource unit.');
  readonly used = gauge('bursar_budget_used', 'Usage in the current period, in the budget resource unit.');
  readonly reserved = gauge(
    'bursar_budget_reserved',
    'Held by active reservations in the current period, in the budget resource unit.',
  );
  readonly remaining = gauge(
    'bursar_budget_remaining',
    'Limit minus used minus reserved (not below zero), in the budget resource unit.',
  );
  readonly utilization = gauge(
    'bursar_budget_utilization_ratio',
    'Used divided by limit in the current period (1 = limit reached).',
  );
  readonly periodEnd = gauge(
    'bursar_budget_period_end_timestamp_seconds',
    'Unix time when the current period ends (absent for period total).',
  );
  readonly reservationsActive = new SeriesFamily({
    name: 'bursar_reservations_active',
    help: 'Reservations currently holding budget (in the shared store).',
    type: 'gauge',
    labelNames: [],
  });
  readonly #engine: BudgetEngine;
  readonly #groups: LabelLimiter;
  readonly #cacheMs: number;
  #generation = 0;
  #computedAt = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<void> | undefined;
  /** Told how long each status read took (store reads included). */
  readonly #onRead: (seconds: number) => void;

  constructor(
    engine: BudgetEngine,
    groups: LabelLimiter,
    cacheMs: number,
    onRead: (seconds: number) => void = () => {},
  ) {
    this.#engine = engine;
    this.#groups = groups;
    this.#cacheMs = cacheMs;
    this.#onRead = onRead;
  }

  families(): SeriesFamily[] {
    return [
      this.limit,
      this.used,
      this.reserved,
      this.remaining,
      this.utilization,
      this.periodEnd,
      this.reservationsActive,
    ];
  }

  /** Brings the gauges up to date (or reuses a fresh computation). */
  refresh(): Promise<void> {
    if (this.#inFlight) return this.#inFlight;
    if (performance.now() - this.#computedAt < this.#cacheMs) return Promise.resolve();
    this.#inFlight = this.#compute().finally(() => {
      this.#inFlight = undefined;
      this.#computedAt = performance.now();
    });
    return this.#inFlight;
  }

  async #compute(): Promise<void> {
    const t0 = performance.now();
    const generation = ++this.#generation;
    const ids = this.#engine.budgets().map((b) => b.id);
    for (let i = 0; i < ids.length; i += BUDGETS_PER_CHUNK) {
      const report = await statusReport(this.#engine, ids.slice(i, i + BUDGETS_PER_CHUNK));
      this.#apply(report.budgets, generation);
      await nextTurn();
    }
    const active = await this.#engine.store.activeReservations();
    this.reservationsActive.set([], active.length, generation);
    for (const f of this.families()) f.sweep(generation);
    const present = new Set(ids);
    for (const id of this.#groups.labels()) if (!present.has(id)) this.#groups.forget(id);
    this.#onRead((performance.now() - t0) / 1000);
  }

  #apply(statuses: readonly BudgetStatus[], generation: number): void {
    // Overflowed groups of one budget, summed; written once that budget's rows are done.
    let overflow: { status: BudgetStatus; sum: Figures } | undefined;
    const flush = () => {
      if (!overflow) return;
      this.#write(overflow.status, OVERFLOW, overflow.sum, generation);
      overflow = undefined;
    };
    for (const s of statuses) {
      if (overflow && overflow.status.budgetId !== s.budgetId) flush();
      const grouped = (this.#engine.budget(s.budgetId)?.groupBy.length ?? 0) > 0;
      const group = grouped ? this.#groups.limit(s.budgetId, groupLabel(s.group)) : '';
      const figures: Figures = {
        limit: s.limit,
        used: s.used,
        reserved: s.reserved,
        remaining: s.remaining,
        utilization: s.utilization,
        periodEnd: s.periodEnd,
      };
      if (group !== OVERFLOW) {
        this.#write(s, group, figures, generation);
        continue;
      }
      if (!overflow) overflow = { status: s, sum: { ...figures } };
      else {
        const sum = overflow.sum;
        sum.limit += figures.limit;
        sum.used += figures.used;
        sum.reserved += figures.reserved;
        sum.remaining += figures.remaining;
        sum.utilization = sum.limit > 0 ? sum.used / sum.limit : 0;
      }
    }
    flush();
  }

  #write(s: BudgetStatus, group: string, f: Figures, generation: number): void {
    const labels = [s.budgetId, s.resource, s.period, group];
    // Counter units (nano-USD, ms) summed exactly, shown in USD and seconds.
    const scale = resourceScale(s.resource);
    this.limit.set(labels, f.limit, generation, scale);
    this.used.set(labels, f.used, generation, scale);
    this.reserved.set(labels, f.reserved, generation, scale);
    this.remaining.set(labels, f.remaining, generation, scale);
    this.utilization.set(labels, f.utilization, generation);
    if (f.periodEnd !== null) this.periodEnd.set(labels, f.periodEnd / 1000, generation);
  }
}

function gauge(name: string, help: string): SeriesFamily {
  return new SeriesFamily({ name, help, type: 'gauge', labelNames: LABELS });
}
