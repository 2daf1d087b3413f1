import type { Override } from '../store/store.ts';
import { type CounterRef, counterKey } from '../store/store.ts';
import type { BudgetSpec } from './budget-spec.ts';
import type { PeriodClock, PeriodWindow } from './period.ts';
import { type CompiledSelector, compileSelector, type Labels } from './selector.ts';

/** Groups whose counter refs a budget keeps at most (see counter()). */
const MAX_CACHED_REFS = 10_000;

/** A budget ready for the hot path: selector compiled, limit resolved to counter units. */
export class CompiledBudget {
  readonly spec: BudgetSpec;
  readonly selector: CompiledSelector;
  readonly groupBy: readonly string[];
  /** Own limit in counter units, parent share resolved; overrides are added per call. */
  readonly baseLimit: number;
  #overrides: readonly Override[] = [];
  /** Position of `tenant` in groupBy (-1 when not grouped by tenant). */
  readonly #tenantGroup: number;
  /** The single tenant a literal `tenant` selector pins this budget to. */
  readonly #tenantLiteral: string | undefined;
  /** The last counter handed out per group (see counter()). */
  readonly #refs = new Map<string, Readonly<CounterRef>>();

  constructor(spec: BudgetSpec, baseLimit: number) {
    this.spec = spec;
    this.selector = compileSelector(spec.selector);
    this.groupBy = spec.groupBy;
    this.baseLimit = baseLimit;
    this.#tenantGroup = spec.groupBy.indexOf('tenant');
    const t = spec.selector.tenant;
    this.#tenantLiteral = t !== undefined && !t.startsWith('!') && !t.includes('*') ? t : undefined;
  }

  get id(): string {
    return this.spec.id;
  }

  setOverrides(overrides: readonly Override[]): void {
    this.#overrides = overrides;
  }

  /** Limit including the overrides active at `now` for this group. */
  limitAt(group: string, now: number): number {
    let limit = this.baseLimit;
    for (const o of this.#overrides) {
      if (o.expiresAt > now && o.createdAt <= now && (o.group === undefined || o.group === group))
        limit += o.amount;
    }
    return limit;
  }

  groupOf(labels: Labels): string {
    if (this.groupBy.length === 0) return '';
    if (this.groupBy.length === 1) return labels[this.groupBy[0]!] ?? '';
    return this.groupBy.map((n) => labels[n] ?? '').join('\u0001');
  }

  window(clock: PeriodClock, at: number): PeriodWindow {
    return clock.window(this.spec.period, this.spec.timeZone, at);
  }

  /**
   * The counter of `group` in `window`. The same ref object comes back while the group's
   * period is unchanged: the hot path then builds no key string (and the store's maps see
   * a string whose hash is already computed). Refs are read-only by contract.
   */
  counter(group: string, window: PeriodWindow): CounterRef {
    const cached = this.#refs.get(group);
    if (cached !== undefined && cached.periodStart === window.start) return cached;
    const ref = this.#newCounter(group, window);
    // Bounded: a budget grouped by an unbounded label (session, user) starts over.
    if (this.#refs.size >= MAX_CACHED_REFS) this.#refs.clear();
    this.#refs.set(group, ref);
    return ref;
  }

  #newCounter(group: string, window: PeriodWindow): CounterRef {
    const ref: CounterRef = {
      key: counterKey(this.spec.id, group, window.start),
      budgetId: this.spec.id,
      group,
      periodStart: window.start,
      periodEnd: window.end,
    };
    const tenant = this.#tenantOf(group);
    if (tenant !== undefined) ref.tenant = tenant;
    return ref;
  }

  /** The tenant of a counter of this budget, when one budget counter never spans tenants. */
  #tenantOf(group: string): string | undefined {
    if (this.#tenantGroup < 0) return this.#tenantLiteral;
    if (this.groupBy.length === 1) return group;
    return group.split('\u0001')[this.#tenantGroup] ?? '';
  }

  /** The counter cap the store enforces atomically; Infinity when this budget never denies. */
  cap(limit: number): number {
    if (this.spec.shadow) return Number.POSITIVE_INFINITY;
    if (this.spec.policy === 'HARD_LIMIT') return limit;
    if (this.spec.policy === 'SOFT_LIMIT') return Math.floor(limit * (1 + this.spec.grace));
    return Number.POSITIVE_INFINITY;
  }
}
