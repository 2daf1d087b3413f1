import type { BudgetSpec } from '../budget/budget-spec.ts';
import type { PricedRecord } from '../usage/usage-record.ts';

/**
 * One interface, three backends (memory, SQLite, Redis). The budget engine decides
 * what to change; the store applies every multi-counter change atomically (all or
 * nothing) and durably before its promise resolves.
 */

/** A budget's counter for one group value and one period. */
export interface CounterRef {
  /** `${budgetId}\u0000${group}\u0000${periodStart}`: see counterKey(). */
  key: string;
  budgetId: string;
  /** The budget's groupBy label values joined, '' for ungrouped budgets. */
  group: string;
  periodStart: number;
  /**
   * First instant of the next period (Infinity for `total`). Set by the engine; stores
   * that expire counters once their period is over (Redis) read it, the others ignore it.
   */
  periodEnd?: number;
  /**
   * The one tenant every call counted here belongs to (the budget groups by tenant or
   * selects a single tenant); absent when the budget spans tenants (a global cap). Stores
   * that shard by tenant (Redis Cluster hash tags) place the counter by it.
   */
  tenant?: string;
}

export interface CounterValue {
  used: number;
  reserved: number;
}

export interface CounterRow extends CounterRef, CounterValue {}

export function counterKey(budgetId: string, group: string, periodStart: number): string {
  return `${budgetId}\u0000${group}\u0000${periodStart}`;
}

/** A hold to place: `amount` is added to `reserved` only if used + reserved + amount <= cap. */
export interface HoldSpec {
  counter: CounterRef;
  amount: number;
  /** Infinity when the budget never denies (WARN, IGNORE, shadow). */
  cap: number;
}

export interface Hold {
  key: string;
  budgetId: string;
  amount: number;
}

export type ReservationState = 'active' | 'committed' | 'released' | 'expired';

export interface Reservation {
  id: string;
  idempotencyKey?: string;
  createdAt: number;
  expiresAt: number;
  state: ReservationState;
  holds: Hold[];
  /** The request as the caller made it, so commit and expiry can report it. */
  request: {
    scope: Record<string, string>;
    provider?: string;
    model?: string;
    operation?: string;
    tool?: string;
  };
  /** Usage record id written by commit. */
  recordId?: string;
}

export type ReserveOutcome =
  | { ok: true; reservation: Reservation; counters: CounterValue[]; replayed: boolean }
  | { ok: false; failed: number[]; counters: CounterValue[] };

/** `used` to add to a counter for one usage record. */
export interface CounterIncrement {
  counter: CounterRef;
  used: number;
}

export interface RecordItem {
  record: PricedRecord;
  increments: CounterIncrement[];
}

export interface RecordOutcome {
  duplicate: boolean;
  /** Counter values after the update, in increment order (current values when duplicate). */
  counters: CounterValue[];
}

export type CommitOutcome =
  | { status: 'committed'; reservation: Reservation; counters: CounterValue[] }
  /** Committed before: nothing changed (an idempotent retry). */
  | { status: 'duplicate'; reservation: Reservation; counters: CounterValue[] }
  /** Expired or released before the commit: the usage is still recorded, no hold to drop. */
  | { status: 'late'; reservation: Reservation; counters: CounterValue[] }
  | { status: 'not_found' };

export interface Override {
  id: string;
  budgetId: string;
  /** A specific group value, or undefined for every group of the budget. */
  group?: string;
  /** Extra headroom in counter units. */
  amount: number;
  createdAt: number;
  expiresAt: number;
  reason: string;
  author: string;
}

export interface AuditEntry {
  time: number;
  action: 'budget.put' | 'budget.delete' | 'override.set' | 'override.delete' | 'price.set' | 'price.delete';
  subject: string;
  author: string;
  detail: string;
}

export interface Snapshot {
  time: number;
  budgetId: string;
  group: string;
  periodStart: number;
  used: number;
  reserved: number;
  limit: number;
}

export const USAGE_GROUP_FIELDS = [
  'provider',
  'model',
  'operation',
  'tool',
  'tenant',
  'project',
  'agent',
  'component',
  'session',
  'user',
] as const;
export type UsageGroupField = (typeof USAGE_GROUP_FIELDS)[number];

export interface UsageQuery {
  from: number;
  to: number;
  /** Exact label values to keep (scope labels and usage fields). */
  filter?: Readonly<Record<string, string>>;
}

export interface UsageAggregate {
  /** The group's value per groupBy field ('' when absent). */
  group: Record<string, string>;
  calls: number;
  errors: number;
  missingUsage: number;
  unpricedCalls: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
  costNanoUsd: number;
  durationMs: number;
}

export interface Store {
  readonly kind: 'memory' | 'sqlite' | 'redis';
  init(): Promise<void>;
  /** Flushes everything accepted, then closes. */
  close(): Promise<void>;
  /** Reachable and writable. */
  ready(): Promise<boolean>;

  loadBudgets(): Promise<BudgetSpec[]>;
  saveBudget(spec: BudgetSpec, audit: AuditEntry): Promise<void>;
  deleteBudget(id: string, audit: AuditEntry): Promise<void>;

  loadOverrides(): Promise<Override[]>;
  saveOverride(override: Override, audit: AuditEntry): Promise<void>;
  deleteOverride(id: string, audit: AuditEntry): Promise<boolean>;
  listAudit(limit: number): Promise<AuditEntry[]>;

  getCounters(refs: readonly CounterRef[]): Promise<CounterValue[]>;
  listCounters(budgetId: string, periodStart: number): Promise<CounterRow[]>;

  /** All holds placed or none; an idempotency key seen before replays the first reservation. */
  reserve(reservation: Reservation, holds: HoldSpec[]): Promise<ReserveOutcome>;
  /** Drops the holds, adds the record's usage, writes the record: one atomic step. */
  commit(reservationId: string, item: RecordItem): Promise<CommitOutcome>;
  /** Drops the holds of an active reservation; undefined when it was not active. */
  release(reservationId: string, state: 'released' | 'expired'): Promise<Reservation | undefined>;
  getReservation(id: string): Promise<Reservation | undefined>;
  activeReservations(): Promise<Reservation[]>;
  /** Ids of active reservations whose expiry is at or before `now`. */
  expiredReservations(now: number): Promise<string[]>;

  /** Idempotent by record id: a record seen before changes nothing. */
  record(items: RecordItem[]): Promise<RecordOutcome[]>;

  /** Set-if-absent; true the first time a mark is set. */
  mark(key: string): Promise<boolean>;

  /**
   * Small persisted values by key (the OTLP receiver's cumulative-metric cursors and
   * which processes send spans or metrics); undefined for a key never put.
   */
  getCursors(keys: readonly string[]): Promise<(string | undefined)[]>;
  /**
   * Upserts values. Atomic with the records of a `record()` call made right after it in
   * the same synchronous turn (SQLite: the same transaction), so a cursor never moves
   * without the usage it accounts for, nor the other way round.
   */
  putCursors(entries: readonly (readonly [key: string, value: string])[]): Promise<void>;

  queryUsage(q: UsageQuery & { limit?: number }): Promise<PricedRecord[]>;
  aggregateUsage(q: UsageQuery & { groupBy: readonly UsageGroupField[] }): Promise<UsageAggregate[]>;

  saveSnapshots(rows: Snapshot[]): Promise<void>;
  listSnapshots(budgetId: string, from: number, to: number): Promise<Snapshot[]>;
}
