import type { BudgetSpec } from '../budget/budget-spec.ts';
import type { PricedRecord } from '../usage/usage-record.ts';
import { CounterState } from './counter-state.ts';
import { MemoryLedger } from './memory-ledger.ts';
import type {
  AuditEntry,
  CommitOutcome,
  CounterRef,
  CounterRow,
  CounterValue,
  HoldSpec,
  Override,
  RecordItem,
  RecordOutcome,
  Reservation,
  ReserveOutcome,
  Snapshot,
  Store,
  UsageAggregate,
  UsageGroupField,
  UsageQuery,
} from './store.ts';
import { aggregateRecords, matchesQuery } from './usage-aggregate.ts';

/** Everything in process memory: for tests and in-process trackers. Lost on exit. */
export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  // Finished reservations are kept (for idempotent replays) up to a bound, so a
  // long-running in-process tracker does not grow without limit.
  readonly state = new CounterState({ trackDirty: false, maxFinished: 10_000 });
  readonly #budgets = new Map<string, BudgetSpec>();
  readonly #overrides = new Map<string, Override>();
  readonly #audit: AuditEntry[] = [];
  readonly #records = new MemoryLedger();
  readonly #marks = new Set<string>();
  readonly #cursors = new Map<string, string>();
  readonly #snapshots: Snapshot[] = [];

  async init(): Promise<void> {}
  async close(): Promise<void> {}
  async ready(): Promise<boolean> {
    return true;
  }

  async loadBudgets(): Promise<BudgetSpec[]> {
    return [...this.#budgets.values()];
  }
  async saveBudget(spec: BudgetSpec, audit: AuditEntry): Promise<void> {
    this.#budgets.set(spec.id, spec);
    this.#audit.push(audit);
  }
  async deleteBudget(id: string, audit: AuditEntry): Promise<void> {
    this.#budgets.delete(id);
    this.#audit.push(audit);
  }

  async loadOverrides(): Promise<Override[]> {
    return [...this.#overrides.values()];
  }
  async saveOverride(o: Override, audit: AuditEntry): Promise<void> {
    this.#overrides.set(o.id, o);
    this.#audit.push(audit);
  }
  async deleteOverride(id: string, audit: AuditEntry): Promise<boolean> {
    const had = this.#overrides.delete(id);
    if (had) this.#audit.push(audit);
    return had;
  }
  async listAudit(limit: number): Promise<AuditEntry[]> {
    return limit <= 0 ? [] : this.#audit.slice(-limit).reverse();
  }

  async getCounters(refs: readonly CounterRef[]): Promise<CounterValue[]> {
    return refs.map((r) => this.state.value(r));
  }
  async listCounters(budgetId: string, periodStart: number): Promise<CounterRow[]> {
    return this.state.listCounters(budgetId, periodStart);
  }

  async reserve(reservation: Reservation, holds: HoldSpec[]): Promise<ReserveOutcome> {
    return this.state.reserve(reservation, holds);
  }
  async commit(reservationId: string, item: RecordItem): Promise<CommitOutcome> {
    const r = this.state.reservations.get(reservationId);
    if (r && r.state !== 'committed' && this.#records.has(item.record.id)) {
      // The record landed through another path already: count it once.
      const outcome = this.state.commit(reservationId, { ...item, increments: [] });
      return outcome.status === 'not_found'
        ? outcome
        : { ...outcome, counters: item.increments.map((i) => this.state.value(i.counter)) };
    }
    const outcome = this.state.commit(reservationId, item);
    if (outcome.status === 'committed' || outcome.status === 'late') this.#records.add(item.record);
    return outcome;
  }
  async release(reservationId: string, state: 'released' | 'expired'): Promise<Reservation | undefined> {
    return this.state.release(reservationId, state);
  }
  async getReservation(id: string): Promise<Reservation | undefined> {
    return this.state.reservations.get(id);
  }
  async activeReservations(): Promise<Reservation[]> {
    return this.state.active();
  }
  async expiredReservations(now: number): Promise<string[]> {
    return this.state.expired(now);
  }

  async record(items: RecordItem[]): Promise<RecordOutcome[]> {
    return items.map((item) => {
      if (this.#records.has(item.record.id)) {
        return { duplicate: true, counters: item.increments.map((i) => this.state.value(i.counter)) };
      }
      this.#records.add(item.record);
      return { duplicate: false, counters: this.state.applyUsage(item) };
    });
  }

  async mark(key: string): Promise<boolean> {
    if (this.#marks.has(key)) return false;
    this.#marks.add(key);
    return true;
  }

  async getCursors(keys: readonly string[]): Promise<(string | undefined)[]> {
    return keys.map((k) => this.#cursors.get(k));
  }
  async putCursors(entries: readonly (readonly [string, string])[]): Promise<void> {
    for (const [k, v] of entries) this.#cursors.set(k, v);
  }

  async queryUsage(q: UsageQuery & { limit?: number }): Promise<PricedRecord[]> {
    const out: PricedRecord[] = [];
    for (const r of this.#all()) {
      if (matchesQuery(r, q)) out.push(r);
    }
    out.sort((a, b) => a.time - b.time);
    return q.limit !== undefined ? out.slice(0, q.limit) : out;
  }
  async aggregateUsage(q: UsageQuery & { groupBy: readonly UsageGroupField[] }): Promise<UsageAggregate[]> {
    return aggregateRecords(this.#all(), q);
  }

  *#all(): Iterable<PricedRecord> {
    for (const row of this.#records.rows()) yield this.#records.get(row);
  }

  async saveSnapshots(rows: Snapshot[]): Promise<void> {
    this.#snapshots.push(...rows);
  }
  async listSnapshots(budgetId: string, from: number, to: number): Promise<Snapshot[]> {
    return this.#snapshots.filter((s) => s.budgetId === budgetId && s.time >= from && s.time < to);
  }
}
