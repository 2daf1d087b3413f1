import { randomUUID } from 'node:crypto';
import type { CostResult } from '../pricing/cost.ts';
import type {
  CounterIncrement,
  CounterValue,
  HoldSpec,
  RecordItem,
  Reservation,
  Store,
} from '../store/store.ts';
import { filterScope, type Scope } from '../usage/scope.ts';
import {
  effectiveModel,
  parseUsageRecord,
  type PricedRecord,
  type UsageRecord,
  type UsageRecordInput,
} from '../usage/usage-record.ts';
import { ValidationError } from '../validation/errors.ts';
import { amountOf, type Estimate, type EstimatedCall, estimateCost, usageFromEstimate } from './amounts.ts';
import { type BudgetSpec, parseBudgetSpec, resolveLimits } from './budget-spec.ts';
import { CompiledBudget } from './compiled-budget.ts';
import { combine, type Decision, evaluate, unavailable } from './decision.ts';
import { BudgetEvents } from './events.ts';
import { PeriodClock, type PeriodWindow } from './period.ts';
import {
  type Call,
  type CallInput,
  type CommitInput,
  type CommitResult,
  type CommitUsage,
  fastCall,
  fastCommit,
  fastReserve,
  type RecordResult,
  recordFromCommit,
  type ReserveInput,
  type ReserveRequest,
  type ReserveResult,
} from './requests.ts';
import { type Labels, SelectorIndex } from './selector.ts';
import { ThresholdWatcher } from './threshold-watcher.ts';

export * from './requests.ts';

const NO_FAILURES: ReadonlySet<number> = new Set();

/** Prices usage; the shared price catalog implements it. */
export interface Pricer {
  readonly version: string;
  price(record: UsageRecord): CostResult;
}

export interface EngineOptions {
  store: Store;
  pricer: Pricer;
  /** Epoch ms; injectable so tests can move through periods. */
  now?: () => number;
  /** Custom scope labels allowed beside the standard ones. */
  customLabels?: readonly string[];
  defaultTtlMs?: number;
  maxTtlMs?: number;
}

/**
 * Budgets, decisions, reservations and usage over a Store. Pure budget logic: no I/O
 * except through the store, no timers (the service drives `expireReservations`).
 */
export class BudgetEngine {
  readonly store: Store;
  readonly pricer: Pricer;
  readonly events = new BudgetEvents();
  readonly clock = new PeriodClock();
  readonly now: () => number;
  readonly #customLabels: ReadonlySet<string>;
  readonly #defaultTtlMs: number;
  readonly #maxTtlMs: number;
  #specs = new Map<string, BudgetSpec>();
  #budgets = new Map<string, CompiledBudget>();
  #index = new SelectorIndex<CompiledBudget>([]);
  readonly thresholds: ThresholdWatcher;
  readonly #estimateCache = new Map<string, { nanoUsd: number; unpriced: boolean }>();
  /** Reservations made here and not yet committed (bounded), for their request labels. */
  readonly #made = new Map<string, Reservation>();

  constructor(options: EngineOptions) {
    this.store = options.store;
    this.pricer = options.pricer;
    this.now = options.now ?? Date.now;
    this.#customLabels = new Set(options.customLabels ?? []);
    this.#defaultTtlMs = options.defaultTtlMs ?? 120_000;
    this.#maxTtlMs = options.maxTtlMs ?? 3_600_000;
    this.thresholds = new ThresholdWatcher(this.store, this.events);
  }

  /** Loads budgets and overrides from the store. */
  async init(): Promise<void> {
    await this.store.init();
    const specs = await this.store.loadBudgets();
    this.#install(new Map(specs.map((s) => [s.id, s])));
    await this.reloadOverrides();
  }

  // ---- budgets ------------------------------------------------------------------

  budgets(): CompiledBudget[] {
    return [...this.#budgets.values()];
  }

  budget(id: string): CompiledBudget | undefined {
    return this.#budgets.get(id);
  }

  /** Validates the whole budget set with the change applied before anything is saved. */
  async putBudget(input: unknown, author = 'api'): Promise<BudgetSpec> {
    const spec = parseBudgetSpec(input);
    const next = new Map(this.#specs);
    next.set(spec.id, spec);
    resolveLimits(next);
    await this.store.saveBudget(spec, this.#audit('budget.put', spec.id, author, JSON.stringify(spec)));
    this.#install(next);
    await this.reloadOverrides();
    return spec;
  }

  async deleteBudget(id: string, author = 'api'): Promise<boolean> {
    if (!this.#specs.has(id)) return false;
    const children = [...this.#specs.values()].filter((s) => s.parent?.id === id).map((s) => s.id);
    if (children.length > 0) {
      throw new ValidationError(
        'id',
        `budget ${id} is the parent of ${children.join(', ')}; delete those first`,
      );
    }
    const next = new Map(this.#specs);
    next.delete(id);
    await this.store.deleteBudget(id, this.#audit('budget.delete', id, author, ''));
    this.#install(next);
    return true;
  }

  #install(specs: Map<string, BudgetSpec>): void {
    const limits = resolveLimits(specs);
    const compiled = new Map<string, CompiledBudget>();
    for (const [id, spec] of specs) compiled.set(id, new CompiledBudget(spec, limits.get(id) ?? 0));
    this.#specs = specs;
    this.#budgets = compiled;
    this.#index = new SelectorIndex([...compiled.values()]);
  }

  async reloadOverrides(): Promise<void> {
    const all = await this.store.loadOverrides();
    for (const b of this.#budgets.values()) b.setOverrides(all.filter((o) => o.budgetId === b.id));
  }

  #audit(
    action: Parameters<Store['saveBudget']>[1]['action'],
    subject: string,
    author: string,
    detail: string,
  ) {
    return { time: this.now(), action, subject, author, detail };
  }

  // ---- matching -----------------------------------------------------------------

  #labels(scope: Scope, provider?: string, model?: string, operation?: string, tool?: string): Labels {
    const labels: Record<string, string | undefined> = filterScope(scope, this.#customLabels);
    if (provider !== undefined) labels.provider = provider;
    if (model !== undefined) labels.model = model;
    if (operation !== undefined) labels.operation = operation;
    if (tool !== undefined) labels.tool = tool;
    return labels;
  }

  match(labels: Labels): readonly CompiledBudget[] {
    return this.#index.match(labels);
  }

  /** The estimate as a record-shaped value `amountOf` reads, plus whether its model is unpriced. */
  #estimateAmounts(call: Call, estimate: Estimate): { amounts: EstimatedCall; unpriced: boolean } {
    const usage = usageFromEstimate(estimate);
    let cost = { nanoUsd: 0, unpriced: false };
    // Guards send the same few estimate shapes over and over: price each shape once
    // per catalog version.
    const key =
      estimate.costUsd === undefined && call.model !== undefined
        ? `${this.pricer.version}\u0000${call.provider}\u0000${call.model}\u0000${usage.input}\u0000${usage.output}`
        : undefined;
    const cached = key === undefined ? undefined : this.#estimateCache.get(key);
    if (cached) cost = cached;
    else if (estimate.costUsd !== undefined || call.model !== undefined) {
      const priced = this.pricer.price({
        id: 'estimate',
        time: this.now(),
        provider: call.provider ?? '',
        operation: call.operation ?? 'chat',
        requestModel: call.model ?? '',
        usage,
        scope: call.scope,
        durationMs: 0,
        usageSource: 'provider',
      });
      cost = estimateCost(estimate, priced);
      if (key !== undefined) {
        if (this.#estimateCache.size >= 10_000) this.#estimateCache.clear();
        this.#estimateCache.set(key, cost);
      }
    }
    const durationMs = (estimate.durationSeconds ?? 0) * 1000;
    return {
      amounts: { usage, cost: { nanoUsd: cost.nanoUsd }, operation: call.operation ?? 'chat', durationMs },
      unpriced: cost.unpriced,
    };
  }

  // ---- check / reserve / commit / release / record ---------------------------------

  /** The decision a reservation would get now. No side effects besides a decision event. */
  check(input: CallInput): Promise<Decision> {
    // Not `async`: one promise fewer per call; bad input still arrives as a rejection.
    try {
      return this.checkCall(fastCall.parse(input));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `check` for a call already validated against `callSchema` (the HTTP layer, the guard). */
  async checkCall(call: Call): Promise<Decision> {
    const labels = this.#labels(call.scope, call.provider, call.model, call.operation, call.tool);
    const matched = this.#index.match(labels);
    const { amounts, unpriced } = this.#estimateAmounts(call, call.estimate);
    const now = this.now();
    const windows = matched.map((b) => b.window(this.clock, now));
    const refs = matched.map((b, i) => b.counter(b.groupOf(labels), windows[i]!));
    let counters: CounterValue[];
    try {
      counters = await this.store.getCounters(refs);
    } catch (error) {
      return this.#unavailable(
        matched.map((b, i) => ({
          b,
          window: windows[i]!,
          group: refs[i]!.group,
          requested: amountOf(b.spec.resource, amounts),
        })),
        unpriced,
        error,
        'check',
      );
    }
    const decision = combine(
      matched.map((b, i) =>
        evaluate({
          budget: b,
          group: refs[i]!.group,
          window: windows[i]!,
          limit: b.limitAt(refs[i]!.group, now),
          counter: counters[i]!,
          requested: amountOf(b.spec.resource, amounts),
          unpriced: unpriced && b.spec.resource === 'cost_usd',
        }),
      ),
      unpriced,
    );
    if (this.events.has('decision'))
      this.events.emit({ type: 'decision', time: now, operation: 'check', decision });
    return decision;
  }

  /** Holds the estimate on every matching budget at once, or on none. */
  reserve(input: ReserveInput): Promise<ReserveResult> {
    try {
      return this.reserveCall(fastReserve.parse(input));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `reserve` for a request already validated against `reserveSchema`. */
  async reserveCall(req: ReserveRequest): Promise<ReserveResult> {
    const ttl = req.ttlMs ?? this.#defaultTtlMs;
    if (ttl > this.#maxTtlMs)
      throw new ValidationError('ttlMs', `must be at most ${this.#maxTtlMs} ms`, 'reservation');
    const labels = this.#labels(req.scope, req.provider, req.model, req.operation, req.tool);
    const matched = this.#index.match(labels);
    const { amounts, unpriced } = this.#estimateAmounts(req, req.estimate);
    const now = this.now();
    const entries = matched.map((b) => {
      const window = b.window(this.clock, now);
      const group = b.groupOf(labels);
      const limit = b.limitAt(group, now);
      return {
        b,
        window,
        group,
        limit,
        ref: b.counter(group, window),
        requested: amountOf(b.spec.resource, amounts),
      };
    });
    const decide = (counters: CounterValue[], failed: ReadonlySet<number>) =>
      combine(
        entries.map((e, i) =>
          evaluate({
            budget: e.b,
            group: e.group,
            window: e.window,
            limit: e.limit,
            counter: counters[i]!,
            requested: e.requested,
            unpriced: unpriced && e.b.spec.resource === 'cost_usd',
            capFailed: failed.has(i),
          }),
        ),
        unpriced,
      );
    // Unpriced calls against cost budgets that deny them never reach the store.
    const unpricedDeny =
      unpriced &&
      entries.some(
        (e) =>
          !e.b.spec.shadow &&
          e.b.spec.resource === 'cost_usd' &&
          e.b.spec.unpriced === 'deny' &&
          e.b.spec.policy !== 'IGNORE' &&
          e.b.spec.policy !== 'WARN',
      );
    if (unpricedDeny) {
      const decision = decide(await this.store.getCounters(entries.map((e) => e.ref)), NO_FAILURES);
      if (this.events.has('decision'))
        this.events.emit({ type: 'decision', time: now, operation: 'reserve', decision });
      return { decision };
    }
    const holds: HoldSpec[] = entries.map((e) => {
      const cap = e.b.cap(e.limit);
      // A capped hold is at least one unit, so a budget already at its limit denies
      // a call whose estimate is unknown (zero) instead of letting it through.
      const amount = cap === Number.POSITIVE_INFINITY ? e.requested : Math.max(1, e.requested);
      return { counter: e.ref, amount, cap };
    });
    const reservation: Reservation = {
      id: randomUUID(),
      createdAt: now,
      expiresAt: now + ttl,
      state: 'active',
      holds: holds.map((h) => ({ key: h.counter.key, budgetId: h.counter.budgetId, amount: h.amount })),
      request: { scope: filterScope(req.scope, this.#customLabels) },
    };
    if (req.idempotencyKey !== undefined) reservation.idempotencyKey = req.idempotencyKey;
    for (const k of ['provider', 'model', 'operation', 'tool'] as const)
      if (req[k] !== undefined) reservation.request[k] = req[k];
    let outcome: Awaited<ReturnType<Store['reserve']>>;
    try {
      outcome = await this.store.reserve(reservation, holds);
    } catch (error) {
      return { decision: this.#unavailable(entries, unpriced, error, 'reserve'), storeUnavailable: true };
    }
    if (!outcome.ok) {
      const decision = decide(outcome.counters, new Set(outcome.failed));
      if (this.events.has('decision'))
        this.events.emit({ type: 'decision', time: now, operation: 'reserve', decision });
      return { decision };
    }
    // Decide on the counters as they were before this hold was added.
    const before = outcome.counters;
    if (!outcome.replayed) for (let i = 0; i < before.length; i++) before[i]!.reserved -= holds[i]!.amount;
    const decision = decide(before, NO_FAILURES);
    if (this.events.has('decision'))
      this.events.emit({ type: 'decision', time: now, operation: 'reserve', decision });
    if (!outcome.replayed && this.events.has('reservation_created'))
      this.events.emit({ type: 'reservation_created', time: now, reservation: outcome.reservation });
    if (this.#made.size >= 100_000) this.#made.clear();
    this.#made.set(outcome.reservation.id, outcome.reservation);
    return { decision, reservation: outcome.reservation, replayed: outcome.replayed };
  }

  #unavailable(
    entries: { b: CompiledBudget; window: PeriodWindow; group: string; requested: number }[],
    unpriced: boolean,
    error: unknown,
    operation: 'check' | 'reserve',
  ): Decision {
    const now = this.now();
    const decision = combine(
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
    if (this.events.has('decision')) this.events.emit({ type: 'decision', time: now, operation, decision });
    return decision;
  }

  /** Drops the holds and records the actual usage, whatever its size: overage is never dropped. */
  commit(reservationId: string, input: CommitInput): Promise<CommitResult> {
    try {
      return this.commitUsage(reservationId, fastCommit.parse(input));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `commit` for usage already validated against `commitSchema`. */
  async commitUsage(reservationId: string, actual: CommitUsage): Promise<CommitResult> {
    // The labels of a reservation this engine made are known without a store round
    // trip; the store still decides, atomically, whether the commit applies.
    const reservation = this.#made.get(reservationId) ?? (await this.store.getReservation(reservationId));
    this.#made.delete(reservationId);
    if (!reservation) return { status: 'not_found' };
    const now = this.now();
    const merged = recordFromCommit(reservation, actual, now);
    // The reservation's scope was filtered when it was made; a commit's own scope was not.
    const record = this.#price(merged, actual.scope === undefined);
    const item = this.#recordItem(record);
    const outcome = await this.store.commit(reservationId, item);
    if (outcome.status === 'not_found') return { status: 'not_found' };
    if (outcome.status === 'duplicate') return { status: 'duplicate', record };
    const overage: Record<string, number> = {};
    item.increments.forEach((inc) => {
      const held = outcome.reservation.holds.find((h) => h.budgetId === inc.counter.budgetId)?.amount ?? 0;
      overage[inc.counter.budgetId] = inc.used - held;
    });
    if (this.events.has('reservation_committed'))
      this.events.emit({
        type: 'reservation_committed',
        time: now,
        reservation: outcome.reservation,
        late: outcome.status === 'late',
      });
    const after = this.#afterUsage(item, outcome.counters, now);
    if (after) await after;
    return { status: outcome.status, record, overage };
  }

  async release(reservationId: string): Promise<Reservation | undefined> {
    this.#made.delete(reservationId);
    const r = await this.store.release(reservationId, 'released');
    if (r) this.events.emit({ type: 'reservation_released', time: this.now(), reservation: r });
    return r;
  }

  /** Releases every active reservation past its expiry; returns how many. */
  async expireReservations(): Promise<number> {
    const now = this.now();
    let n = 0;
    for (const id of await this.store.expiredReservations(now)) {
      this.#made.delete(id);
      const r = await this.store.release(id, 'expired');
      if (r) {
        n += 1;
        if (this.events.has('reservation_expired'))
          this.events.emit({ type: 'reservation_expired', time: now, reservation: r });
      }
    }
    return n;
  }

  /** Usage with no reservation (OTLP, REST). Idempotent by record id. */
  async record(inputs: readonly (UsageRecordInput | UsageRecord)[]): Promise<RecordResult[]> {
    const records = inputs.map((r, i) => this.#price(parseUsageRecord(r, `records[${i}]`)));
    return this.recordPriced(records);
  }

  /** For sources that built and validated records themselves (the OTLP receiver). */
  async recordPriced(records: readonly PricedRecord[]): Promise<RecordResult[]> {
    const items = records.map((r) => this.#recordItem(r));
    const outcomes = await this.store.record(items);
    const now = this.now();
    for (let i = 0; i < items.length; i++) {
      if (outcomes[i]!.duplicate) continue;
      const p = this.#afterUsage(items[i]!, outcomes[i]!.counters, now);
      if (p) await p;
    }
    return records.map((r, i) => ({ id: r.id, duplicate: outcomes[i]!.duplicate, cost: r.cost }));
  }

  price(record: UsageRecord): PricedRecord {
    return this.#price({ ...record });
  }

  /** Prices a record this engine built or parsed itself (mutated in place: no copy on the hot path). */
  #price(record: UsageRecord, scopeFiltered = false): PricedRecord {
    const priced = record as PricedRecord;
    if (!scopeFiltered) priced.scope = filterScope(record.scope, this.#customLabels);
    priced.cost = this.pricer.price(record);
    return priced;
  }

  #recordItem(record: PricedRecord): RecordItem {
    // record.scope was filtered when the record was priced: no second copy here.
    const labels: Record<string, string | undefined> = { ...record.scope };
    labels.provider = record.provider;
    labels.model = effectiveModel(record);
    labels.operation = record.operation;
    if (record.toolName !== undefined) labels.tool = record.toolName;
    const matched = this.#index.match(labels);
    const increments: CounterIncrement[] = new Array(matched.length);
    for (let i = 0; i < matched.length; i++) {
      const b = matched[i]!;
      const window = b.window(this.clock, record.time);
      increments[i] = {
        counter: b.counter(b.groupOf(labels), window),
        used: amountOf(b.spec.resource, record),
      };
    }
    return { record, increments };
  }

  /** Events after usage landed. Returns a promise only when a threshold mark must be stored. */
  #afterUsage(item: RecordItem, counters: CounterValue[], now: number): Promise<void> | undefined {
    if (this.events.has('usage_recorded'))
      this.events.emit({ type: 'usage_recorded', time: now, record: item.record });
    let pending: Promise<void>[] | undefined;
    for (let i = 0; i < item.increments.length; i++) {
      const ref = item.increments[i]!.counter;
      const budget = this.#budgets.get(ref.budgetId);
      const p = budget && this.thresholds.observe(budget, ref, counters[i]!, now);
      if (p) (pending ??= []).push(p);
    }
    return pending && Promise.all(pending).then(() => undefined);
  }
}
