import { setImmediate as nextTurn } from 'node:timers/promises';
import type { BudgetEngine } from '../../budget/engine.ts';
import { type BudgetStatus, statusReport } from '../../budget/status.ts';
import { resourceScale } from './budget-counters.ts';
import { GroupSlots } from './group-slots.ts';
import { OVERFLOW } from './label-limiter.ts';
import { type Series, SeriesFamily } from './series-family.ts';

/** Budgets read from the store between two yields to the event loop. */
const BUDGETS_PER_CHUNK = 25;
/** Status rows turned into series between two yields (a budget may have thousands of groups). */
const ROWS_PER_CHUNK = 1000;

const LABELS = ['budget', 'resource', 'period', 'group'] as const;

/** A grouped budget's group as a label value: its groupBy values joined by commas. */
function groupLabel(group: string): string {
  return group === '' ? '__none__' : group.replaceAll('\u0001', ',');
}

/** The six series of one budget group, found with one lookup per scrape. */
interface Row {
  limit: Series;
  used: Series;
  reserved: Series;
  remaining: Series;
  utilization: Series;
  /** Absent for period `total`. */
  periodEnd: Series | undefined;
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
  /**
   * What each budget is, as labels on a constant 1 (the Prometheus info-metric pattern):
   * rules and dashboards join it where the policy matters (`* on (job, instance, budget)
   * group_left (policy)`). Kept off the per-budget gauges so a policy change never splits
   * their series, and off the consumed counter, which a new label set would reset.
   */
  readonly info = new SeriesFamily({
    name: 'bursar_budget_info',
    help: 'Always 1, one series per budget: its policy (HARD_LIMIT, SOFT_LIMIT, WARN, IGNORE), whether it runs in shadow mode, its resource and period.',
    type: 'gauge',
    labelNames: ['budget', 'resource', 'period', 'policy', 'shadow'],
  });
  readonly reservationsActive = new SeriesFamily({
    name: 'bursar_reservations_active',
    help: 'Reservations currently holding budget (in the shared store).',
    type: 'gauge',
    labelNames: [],
  });
  readonly #engine: BudgetEngine;
  readonly #rows = new Map<string, Row>();
  readonly #slots: GroupSlots;
  readonly #cacheMs: number;
  #generation = 0;
  #computedAt = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<void> | undefined;
  /** Told how long each status read took (store reads included). */
  readonly #onRead: (seconds: number) => void;

  constructor(
    engine: BudgetEngine,
    maxGroups: number,
    cacheMs: number,
    onRead: (seconds: number) => void = () => {},
  ) {
    this.#engine = engine;
    this.#slots = new GroupSlots(maxGroups);
    this.#cacheMs = cacheMs;
    this.#onRead = onRead;
  }

  families(): SeriesFamily[] {
    return [
      this.info,
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
    const budgets = this.#engine.budgets();
    const ids = budgets.map((b) => b.id);
    for (const { id, spec } of budgets)
      this.info.set([id, spec.resource, spec.period, spec.policy, String(spec.shadow)], 1, generation);
    for (let i = 0; i < ids.length; i += BUDGETS_PER_CHUNK) {
      const report = await statusReport(this.#engine, ids.slice(i, i + BUDGETS_PER_CHUNK));
      await this.#apply(report.budgets, generation);
      await nextTurn();
    }
    const active = await this.#engine.store.activeReservations();
    this.reservationsActive.set([], active.length, generation);
    for (const f of this.families()) f.sweep(generation);
    for (const [key, row] of this.#rows) if (row.used.generation !== generation) this.#rows.delete(key);
    this.#slots.retain(new Set(ids));
    this.#onRead((performance.now() - t0) / 1000);
  }

  /** Rows come budget by budget (statusReport's order); each budget's groups are admitted at once. */
  async #apply(statuses: readonly BudgetStatus[], generation: number): Promise<void> {
    let n = 0;
    for (let start = 0; start < statuses.length;) {
      const budgetId = statuses[start]!.budgetId;
      let end = start + 1;
      while (end < statuses.length && statuses[end]!.budgetId === budgetId) end++;
      const rows = statuses.slice(start, end);
      start = end;
      if ((this.#engine.budget(budgetId)?.groupBy.length ?? 0) === 0) {
        for (const s of rows) this.#write(s, '', figuresOf(s), generation);
        continue;
      }
      const labels = rows.map((s) => groupLabel(s.group));
      const admitted = this.#slots.admit(budgetId, labels);
      // Groups past the cap, summed (in counter units) into one series.
      let overflow: Figures | undefined;
      for (let i = 0; i < rows.length; i++) {
        if (++n % ROWS_PER_CHUNK === 0) await nextTurn();
        const f = figuresOf(rows[i]!);
        if (admitted.has(labels[i]!)) {
          this.#write(rows[i]!, labels[i]!, f, generation);
        } else if (!overflow) {
          overflow = f;
        } else {
          overflow.limit += f.limit;
          overflow.used += f.used;
          overflow.reserved += f.reserved;
          overflow.remaining += f.remaining;
          overflow.utilization = overflow.limit > 0 ? overflow.used / overflow.limit : 0;
        }
      }
      if (overflow) this.#write(rows[0]!, OVERFLOW, overflow, generation);
    }
  }

  #write(s: BudgetStatus, group: string, f: Figures, generation: number): void {
    const key = `${s.budgetId}\u0000${s.resource}\u0000${s.period}\u0000${group}`;
    let row = this.#rows.get(key);
    if (row === undefined) {
      const labels = [s.budgetId, s.resource, s.period, group];
      // Counter units (nano-USD, ms) summed exactly, shown in USD and seconds.
      const scale = resourceScale(s.resource);
      row = {
        limit: this.limit.series(labels, key, scale),
        used: this.used.series(labels, key, scale),
        reserved: this.reserved.series(labels, key, scale),
        remaining: this.remaining.series(labels, key, scale),
        utilization: this.utilization.series(labels, key),
        periodEnd: f.periodEnd === null ? undefined : this.periodEnd.series(labels, key, 1000),
      };
      this.#rows.set(key, row);
    }
    mark(row.limit, f.limit, generation);
    mark(row.used, f.used, generation);
    mark(row.reserved, f.reserved, generation);
    mark(row.remaining, f.remaining, generation);
    mark(row.utilization, f.utilization, generation);
    if (row.periodEnd && f.periodEnd !== null) mark(row.periodEnd, f.periodEnd, generation);
  }
}

function figuresOf(s: BudgetStatus): Figures {
  return {
    limit: s.limit,
    used: s.used,
    reserved: s.reserved,
    remaining: s.remaining,
    utilization: s.utilization,
    periodEnd: s.periodEnd,
  };
}

function mark(s: Series, value: number, generation: number): void {
  s.value = value;
  s.generation = generation;
}

function gauge(name: string, help: string): SeriesFamily {
  return new SeriesFamily({ name, help, type: 'gauge', labelNames: LABELS });
}
