import { randomUUID } from 'node:crypto';
import type { CostResult } from '../pricing/cost.ts';
import type { CounterValue, HoldSpec, Reservation, Store } from '../store/store.ts';
import { filterScope, type Scope } from '../usage/scope.ts';
import {
  parseUsageRecord,
  type PricedRecord,
  type UsageRecord,
  type UsageRecordInput,
} from '../usage/usage-record.ts';
import { rejecting, ValidationError } from '../validation/errors.ts';
import { amountOf } from './amounts.ts';
import { EstimatePricer } from './estimate-pricer.ts';
import { UsageLanding } from './usage-landing.ts';
import type { BudgetSpec } from './budget-spec.ts';
import { BudgetSet } from './budget-set.ts';
import type { CompiledBudget } from './compiled-budget.ts';
import { combine, type Decision, evaluate, type UnavailableEntry, unavailableDecision } from './decision.ts';
import { BudgetEvents } from './events.ts';
import { PeriodClock } from './period.ts';
import {
  type Call,
  type CallInput,
  type CommitInput,
  type CommitResult,
  type CommitUsage,
  LandedCommit,
  fastCall,
  fastCommit,
  fastReserve,
  type RecordResult,
  recordFromCommit,
  type ReserveInput,
  type ReserveRequest,
  type ReserveResult,
} from './requests.ts';
import type { Labels } from './selector.ts';
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
  readonly set: BudgetSet;
  readonly thresholds: ThresholdWatcher;
  readonly #estimates: EstimatePricer;
  /**
   * Reservation ids: a random 128-bit prefix per engine instance and a counter. Unique
   * across processes and restarts like a UUID, without drawing random bytes per call.
   */
  readonly #idPrefix = randomUUID();
  #idSeq = 0;
  #nextId(): string {
    this.#idSeq += 1;
    return `${this.#idPrefix}-${this.#idSeq.toString(36)}`;
  }
  readonly #usage: UsageLanding;
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
    this.set = new BudgetSet(this.store, this.now);
    this.#estimates = new EstimatePricer(this.pricer, this.now);
    this.#usage = new UsageLanding(
      this.set,
      this.clock,
      this.pricer,
      this.thresholds,
      this.events,
      this.#customLabels,
    );
  }

  /** Loads budgets and overrides from the store. */
  async init(): Promise<void> {
    await this.store.init();
    await this.set.load();
  }

  // ---- budgets ------------------------------------------------------------------

  budgets(): CompiledBudget[] {
    return this.set.all();
  }

  budget(id: string): CompiledBudget | undefined {
    return this.set.get(id);
  }

  /** Validates the whole budget set with the change applied before anything is saved. */
  putBudget(input: unknown, author = 'api'): Promise<BudgetSpec> {
    return this.set.put(input, author);
  }

  deleteBudget(id: string, author = 'api'): Promise<boolean> {
    return this.set.delete(id, author);
  }

  reloadOverrides(): Promise<void> {
    return this.set.reloadOverrides();
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
    return this.set.match(labels);
  }

  // ---- check / reserve / commit / release / record ---------------------------------

  /** The decision a reservation would get now. No side effects besides a decision event. */
  check(input: CallInput): Promise<Decision> {
    return rejecting(() => this.checkCall(fastCall.parse(input)));
  }

  /** `check` for a call already validated against `callSchema` (the HTTP layer, the guard). */
  async checkCall(call: Call): Promise<Decision> {
    const labels = this.#labels(call.scope, call.provider, call.model, call.operation, call.tool);
    const matched = this.set.match(labels);
    const { amounts, unpriced } = this.#estimates.price(call, call.estimate);
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
    return rejecting(() => this.reserveCall(fastReserve.parse(input)));
  }

  /** `reserve` for a request already validated against `reserveSchema`. */
  async reserveCall(req: ReserveRequest): Promise<ReserveResult> {
    const ttl = req.ttlMs ?? this.#defaultTtlMs;
    if (ttl > this.#maxTtlMs)
      throw new ValidationError('ttlMs', `must be at most ${this.#maxTtlMs} ms`, 'reservation');
    const labels = this.#labels(req.scope, req.provider, req.model, req.operation, req.tool);
    const matched = this.set.match(labels);
    const { amounts, unpriced } = this.#estimates.price(req, req.estimate);
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
      id: this.#nextId(),
      createdAt: now,
      expiresAt: now + ttl,
      state: 'active',
      holds: holds.map((h) => ({ key: h.counter.key, budgetId: h.counter.budgetId, amount: h.amount })),
      request: { scope: filterScope(req.scope, this.#customLabels) },
    };
    if (req.idempotencyKey !== undefined) reservation.idempotencyKey = req.idempotencyKey;
    if (req.provider !== undefined) reservation.request.provider = req.provider;
    if (req.model !== undefined) reservation.request.model = req.model;
    if (req.operation !== undefined) reservation.request.operation = req.operation;
    if (req.tool !== undefined) reservation.request.tool = req.tool;
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
    entries: UnavailableEntry[],
    unpriced: boolean,
    error: unknown,
    operation: 'check' | 'reserve',
  ): Decision {
    const now = this.now();
    const decision = unavailableDecision(entries, unpriced, error, now);
    if (this.events.has('decision')) this.events.emit({ type: 'decision', time: now, operation, decision });
    return decision;
  }

  /** Drops the holds and records the actual usage, whatever its size: overage is never dropped. */
  commit(reservationId: string, input: CommitInput): Promise<CommitResult> {
    return rejecting(() => this.commitUsage(reservationId, fastCommit.parse(input)));
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
    const record = this.#usage.price(merged, actual.scope === undefined);
    const item = this.#usage.item(record);
    const outcome = await this.store.commit(reservationId, item);
    if (outcome.status === 'not_found') return { status: 'not_found' };
    if (outcome.status === 'duplicate') return { status: 'duplicate', record };
    if (this.events.has('reservation_committed'))
      this.events.emit({
        type: 'reservation_committed',
        time: now,
        reservation: outcome.reservation,
        late: outcome.status === 'late',
      });
    const after = this.#usage.after(item, outcome.counters, now);
    if (after) await after;
    return new LandedCommit(outcome.status, record, item, outcome.reservation.holds);
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
    const records = inputs.map((r, i) => this.#usage.price(parseUsageRecord(r, `records[${i}]`)));
    return this.recordPriced(records);
  }

  /** For sources that built and validated records themselves (the OTLP receiver). */
  async recordPriced(records: readonly PricedRecord[]): Promise<RecordResult[]> {
    const items = records.map((r) => this.#usage.item(r));
    const outcomes = await this.store.record(items);
    const now = this.now();
    for (let i = 0; i < items.length; i++) {
      if (outcomes[i]!.duplicate) continue;
      const p = this.#usage.after(items[i]!, outcomes[i]!.counters, now);
      if (p) await p;
    }
    return records.map((r, i) => ({ id: r.id, duplicate: outcomes[i]!.duplicate, cost: r.cost }));
  }

  price(record: UsageRecord): PricedRecord {
    return this.#usage.price({ ...record });
  }
}
