import { resolve } from 'node:path';
import type Database from 'better-sqlite3';
import type { BudgetSpec } from '../budget/budget-spec.ts';
import type { PricedRecord } from '../usage/usage-record.ts';
import type { CounterState } from './counter-state.ts';
import { AdminTables } from './sqlite-admin.ts';
import { type BatchWrite, GroupCommit } from './sqlite-batch.ts';
import { UsageLedger } from './sqlite-ledger.ts';
import { openDatabase, type SqliteSynchronous } from './sqlite-open.ts';
import { StateTables } from './sqlite-state.ts';
import { assertStorable } from './sqlite-usage-row.ts';
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

export interface SqliteStoreOptions {
  /** Database file; its directory is created. Default './data/bursar.db'. */
  path?: string;
  /** Longest wait before a pending batch is written. Default 2 ms. */
  flushIntervalMs?: number;
  /** Units of work (reservations, commits, records, marks...) that trigger a write at once. Default 1000. */
  maxBatch?: number;
  /** 'FULL' (default) survives power loss; 'NORMAL' survives a process crash only. */
  synchronous?: SqliteSynchronous;
  /** How long a finished reservation is kept past its expiry (idempotent replays, reports). Default 1 hour. */
  reservationRetentionMs?: number;
  /** How long to wait for a lock held by another connection before failing. Default 1000 ms. */
  busyTimeoutMs?: number;
  /**
   * Runs inside every group-commit transaction just before it commits; throwing aborts
   * the transaction. For fault-injection tests and instrumentation.
   */
  onFlush?: (info: { units: number }) => void;
}

const DEFAULTS = {
  path: './data/bursar.db',
  flushIntervalMs: 2,
  maxBatch: 1000,
  synchronous: 'FULL' as SqliteSynchronous,
  reservationRetentionMs: 3_600_000,
  busyTimeoutMs: 1000,
};

/** The most often reservations are pruned while writes keep coming. */
const PRUNE_EVERY_MS = 60_000;

/** What exists between init() and close(). */
interface Open {
  db: Database.Database;
  tables: StateTables;
  ledger: UsageLedger;
  admin: AdminTables;
  batch: GroupCommit;
}

/**
 * The embedded, durable store. A CounterState in memory is the working copy: every
 * operation is applied to it synchronously (atomic within the process, and the next
 * decision sees it at once), and its persistence is group-committed. A write method's
 * promise resolves only once the transaction holding it, and everything accepted before
 * it, has committed: resolved means durable. Reads of counters and reservations come
 * from memory; usage, budgets and the other tables are read in SQL after flushing.
 *
 * One process owns the file (EXCLUSIVE locking): memory can only stand in for the
 * tables while nothing else writes them.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly path: string;
  readonly #opts: Required<Omit<SqliteStoreOptions, 'onFlush'>> & Pick<SqliteStoreOptions, 'onFlush'>;
  #open: Open | undefined;
  #closed = false;
  #state: CounterState | undefined;
  /** Record ids and marks accepted but not yet committed: the tables cannot answer for them. */
  readonly #pendingRecordIds = new Set<string>();
  readonly #pendingMarks = new Set<string>();
  /** Marks known to be on disk, so repeated checks skip the SELECT. Bounded: it is only a cache. */
  readonly #knownMarks = new Set<string>();
  #lastFlushOk = true;
  /** Set when the working copy could not be reloaded after a failed write: nothing is safe after. */
  #fatal: unknown;
  #lastPrune = 0;

  constructor(options: SqliteStoreOptions = {}) {
    this.#opts = { ...DEFAULTS, ...stripUndefined(options) };
    this.path = resolve(this.#opts.path);
  }

  /** The working copy (read-only use: tests, diagnostics). Replaced after a failed write. */
  get state(): CounterState {
    return this.#live().state;
  }

  /** Group-commit transactions committed since init(). */
  get flushCount(): number {
    return this.#open?.batch.flushes ?? 0;
  }

  async init(): Promise<void> {
    if (this.#open) return;
    if (this.#closed) throw new Error(`SqliteStore ${this.path} is closed; create a new store to reopen it`);
    const db = openDatabase({
      path: this.path,
      synchronous: this.#opts.synchronous,
      busyTimeoutMs: this.#opts.busyTimeoutMs,
    });
    try {
      const tables = new StateTables(db);
      const ledger = new UsageLedger(db);
      const admin = new AdminTables(db);
      const now = Date.now();
      tables.prune(now - this.#opts.reservationRetentionMs);
      this.#state = tables.load(now - this.#opts.reservationRetentionMs);
      this.#lastPrune = now;
      const flushTx = db.transaction((writes: readonly BatchWrite[], units: number) => {
        tables.writeDirty(this.#state!);
        for (const w of writes) w();
        this.#opts.onFlush?.({ units });
      });
      const batch = new GroupCommit({
        maxBatch: this.#opts.maxBatch,
        intervalMs: this.#opts.flushIntervalMs,
        write: (writes, units) => flushTx.immediate(writes, units),
        onSuccess: () => this.#afterFlush(true),
        onError: () => this.#afterFlush(false),
      });
      this.#open = { db, tables, ledger, admin, batch };
      this.#lastFlushOk = true;
    } catch (e) {
      db.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    const open = this.#open;
    if (!open) return;
    open.batch.flush();
    this.#open = undefined;
    this.#closed = true;
    open.db.close();
  }

  async ready(): Promise<boolean> {
    return this.#open !== undefined && this.#open.db.open && this.#lastFlushOk && this.#fatal === undefined;
  }

  // --- group commit bookkeeping ---

  #live(): Open & { state: CounterState } {
    if (this.#fatal !== undefined) {
      throw new Error(`SqliteStore ${this.path} failed and must be reopened`, { cause: this.#fatal });
    }
    if (!this.#open || !this.#state) {
      throw new Error(
        `SqliteStore ${this.path} is ${this.#closed ? 'closed' : 'not open: call init() first'}`,
      );
    }
    return { ...this.#open, state: this.#state };
  }

  #afterFlush(ok: boolean): void {
    this.#pendingRecordIds.clear();
    if (ok) {
      if (this.#knownMarks.size > 100_000) this.#knownMarks.clear();
      for (const m of this.#pendingMarks) this.#knownMarks.add(m);
    }
    this.#pendingMarks.clear();
    this.#lastFlushOk = ok;
    if (ok) return;
    // The batch rolled back: memory holds changes the file does not. Reload the working
    // copy so every later decision is made on what is actually durable.
    try {
      this.#state = this.#open!.tables.load(Date.now() - this.#opts.reservationRetentionMs);
    } catch (e) {
      this.#fatal = e;
    }
  }

  /** Writes everything pending now, so SQL reads see every acknowledged change. */
  #settle(open: Open): void {
    open.batch.flush();
    if (this.#fatal !== undefined) this.#live();
  }

  #hasRecord(open: Open, id: string): boolean {
    return this.#pendingRecordIds.has(id) || open.ledger.has(id);
  }

  /** Prunes finished reservations at most once a minute, piggybacking on writes. */
  #maybePrune(now: number): void {
    if (now - this.#lastPrune >= Math.min(PRUNE_EVERY_MS, this.#opts.reservationRetentionMs)) {
      void this.pruneReservations(now).catch(() => {
        // The batch's own waiters report a failed write; the prune is retried next time.
      });
    }
  }

  /**
   * Forgets reservations that ended more than the retention window before `now`, in
   * memory and on disk. Runs by itself during writes; exposed for tests and admin tools.
   */
  async pruneReservations(now: number = Date.now()): Promise<number> {
    const { state, batch } = this.#live();
    this.#lastPrune = now;
    const dropped = state.prune(now - this.#opts.reservationRetentionMs);
    // A dirty id missing from memory is deleted from the table at the next flush.
    for (const id of dropped) state.dirtyReservations.add(id);
    await batch.add(dropped.length);
    return dropped.length;
  }

  // --- budgets, overrides, audit, snapshots: rare writes, each its own transaction ---

  #adminWrite(fn: (admin: AdminTables) => void): void {
    const open = this.#live();
    this.#settle(open);
    open.db.transaction(() => fn(open.admin)).immediate();
  }

  async loadBudgets(): Promise<BudgetSpec[]> {
    const open = this.#live();
    this.#settle(open);
    return open.admin.budgets();
  }
  async saveBudget(spec: BudgetSpec, audit: AuditEntry): Promise<void> {
    this.#adminWrite((a) => {
      a.putBudget(spec);
      a.putAudit(audit);
    });
  }
  async deleteBudget(id: string, audit: AuditEntry): Promise<void> {
    this.#adminWrite((a) => {
      a.deleteBudget(id);
      a.putAudit(audit);
    });
  }

  async loadOverrides(): Promise<Override[]> {
    const open = this.#live();
    this.#settle(open);
    return open.admin.overrides();
  }
  async saveOverride(override: Override, audit: AuditEntry): Promise<void> {
    this.#adminWrite((a) => {
      a.putOverride(override);
      a.putAudit(audit);
    });
  }
  async deleteOverride(id: string, audit: AuditEntry): Promise<boolean> {
    let had = false;
    this.#adminWrite((a) => {
      had = a.deleteOverride(id);
      if (had) a.putAudit(audit);
    });
    return had;
  }
  async listAudit(limit: number): Promise<AuditEntry[]> {
    const open = this.#live();
    this.#settle(open);
    return open.admin.audit(limit);
  }

  async saveSnapshots(rows: Snapshot[]): Promise<void> {
    this.#adminWrite((a) => {
      for (const s of rows) a.putSnapshot(s);
    });
  }
  async listSnapshots(budgetId: string, from: number, to: number): Promise<Snapshot[]> {
    const open = this.#live();
    this.#settle(open);
    return open.admin.snapshots(budgetId, from, to);
  }

  // --- counters and reservations: the working copy, group-committed ---

  async getCounters(refs: readonly CounterRef[]): Promise<CounterValue[]> {
    const { state } = this.#live();
    return refs.map((r) => state.value(r));
  }
  async listCounters(budgetId: string, periodStart: number): Promise<CounterRow[]> {
    return this.#live().state.listCounters(budgetId, periodStart);
  }

  async reserve(reservation: Reservation, holds: HoldSpec[]): Promise<ReserveOutcome> {
    const { state, batch } = this.#live();
    this.#maybePrune(Date.now());
    const outcome = state.reserve(reservation, holds);
    await batch.add(outcome.ok && !outcome.replayed ? 1 : 0);
    return outcome;
  }

  async commit(reservationId: string, item: RecordItem): Promise<CommitOutcome> {
    const open = this.#live();
    const { state, batch, ledger } = open;
    assertStorable(item.record);
    this.#maybePrune(Date.now());
    const r = state.reservations.get(reservationId);
    let outcome: CommitOutcome;
    let write: BatchWrite | undefined;
    if (r && r.state !== 'committed' && this.#hasRecord(open, item.record.id)) {
      // The record landed through another path already: count it once (as the memory store).
      outcome = state.commit(reservationId, { ...item, increments: [] });
    } else {
      outcome = state.commit(reservationId, item);
      if (outcome.status === 'committed' || outcome.status === 'late') {
        const record = item.record;
        this.#pendingRecordIds.add(record.id);
        write = () => ledger.insert(record);
      }
    }
    const changed = outcome.status === 'committed' || outcome.status === 'late';
    await batch.add(changed ? 1 : 0, write);
    return outcome;
  }

  async release(reservationId: string, state: 'released' | 'expired'): Promise<Reservation | undefined> {
    const live = this.#live();
    this.#maybePrune(Date.now());
    const released = live.state.release(reservationId, state);
    await live.batch.add(released ? 1 : 0);
    return released;
  }

  async getReservation(id: string): Promise<Reservation | undefined> {
    return this.#live().state.reservations.get(id);
  }
  async activeReservations(): Promise<Reservation[]> {
    return this.#live().state.active();
  }
  async expiredReservations(now: number): Promise<string[]> {
    return this.#live().state.expired(now);
  }

  // --- usage ledger ---

  async record(items: RecordItem[]): Promise<RecordOutcome[]> {
    const open = this.#live();
    const { state, batch, ledger } = open;
    // All checked before any is applied: a call is accepted whole or rejected whole.
    for (const item of items) assertStorable(item.record);
    const fresh: PricedRecord[] = [];
    const outcomes = items.map((item): RecordOutcome => {
      if (this.#hasRecord(open, item.record.id)) {
        return { duplicate: true, counters: item.increments.map((i) => state.value(i.counter)) };
      }
      this.#pendingRecordIds.add(item.record.id);
      fresh.push(item.record);
      return { duplicate: false, counters: state.applyUsage(item) };
    });
    const write = fresh.length > 0 ? () => insertAll(ledger, fresh) : undefined;
    await batch.add(fresh.length, write);
    return outcomes;
  }

  async mark(key: string): Promise<boolean> {
    const { batch, admin } = this.#live();
    if (this.#knownMarks.has(key) || this.#pendingMarks.has(key)) {
      await batch.add(0);
      return false;
    }
    if (admin.hasMark(key)) {
      this.#knownMarks.add(key);
      await batch.add(0);
      return false;
    }
    this.#pendingMarks.add(key);
    const at = Date.now();
    await batch.add(1, () => admin.putMark(key, at));
    return true;
  }

  async queryUsage(q: UsageQuery & { limit?: number }): Promise<PricedRecord[]> {
    const open = this.#live();
    this.#settle(open);
    return open.ledger.query(q);
  }
  async aggregateUsage(q: UsageQuery & { groupBy: readonly UsageGroupField[] }): Promise<UsageAggregate[]> {
    const open = this.#live();
    this.#settle(open);
    return open.ledger.aggregate(q);
  }
}

function insertAll(ledger: UsageLedger, records: readonly PricedRecord[]): void {
  for (const r of records) ledger.insert(r);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
