import { resolve } from 'node:path';
import type Database from 'better-sqlite3';
import type { BudgetSpec } from '../budget/budget-spec.ts';
import type { PricedRecord } from '../usage/usage-record.ts';
import type { CounterState } from './counter-state.ts';
import { type AdminOp, AdminTables } from './sqlite-admin.ts';
import { GroupCommit } from './sqlite-batch.ts';
import { UsageLedger } from './sqlite-ledger.ts';
import { PendingWrites } from './sqlite-pending.ts';
import { ReadSession } from './sqlite-read-session.ts';
import { lockDatabase, openDatabase } from './sqlite-open.ts';
import { StateTables, takeDirty } from './sqlite-state.ts';
import { UsageIntake } from './sqlite-usage-intake.ts';
import { assertStorable } from './sqlite-usage-row.ts';
import {
  type Batch,
  DEFAULTS,
  emptyBatch,
  type SqliteStoreOptions,
  stripUndefined,
} from './sqlite-store-config.ts';
import { deserializeError, type WriteReply, WriterThread } from './sqlite-writer.ts';

export type { SqliteStoreOptions } from './sqlite-store-config.ts';
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

/** The most often reservations are pruned while writes keep coming. */
const PRUNE_EVERY_MS = 60_000;

/** What exists between init() and close(). */
interface Open {
  /** The main thread's connection: reads only, while the writer thread writes. */
  db: Database.Database;
  /** Held for the store's lifetime: this process owns the file. */
  lock: Database.Database;
  writer: WriterThread;
  tables: StateTables;
  reads: ReadSession;
  ledger: UsageLedger;
  intake: UsageIntake;
  admin: AdminTables;
  batch: GroupCommit<Batch>;
}

/**
 * The embedded, durable store. A CounterState in memory is the working copy: every
 * operation is applied to it synchronously (atomic within the process, and the next
 * decision sees it at once), and its persistence is group-committed. A write method's
 * promise resolves only once the transaction holding it, and everything accepted before
 * it, has committed: resolved means durable. Reads of counters and reservations come
 * from memory; usage, budgets and the other tables are read in SQL after flushing.
 *
 * SQL runs on two connections: a worker thread (sqlite-writer-worker.ts) owns the only
 * write connection and writes each batch in one transaction while this thread keeps
 * deciding; this thread reads (dedupe, usage queries, admin reads) on its own connection,
 * which WAL lets run beside the writer. One process owns the file (lockDatabase()):
 * memory can only stand in for the tables while nothing else writes them.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly path: string;
  readonly #opts: Required<SqliteStoreOptions>;
  #open: Open | undefined;
  #closed = false;
  #state: CounterState | undefined;
  readonly #pending = new PendingWrites();
  #lastFlushOk = true;
  /** Set when the working copy could not be reloaded after a failed write: nothing is safe after. */
  #fatal: unknown;
  #lastPrune = 0;
  /** Bumped after each failed batch; the writer refuses later batches of a failed epoch. */
  #epoch = 0;
  /** Test hook (injectWriteFailure): the message every write transaction fails with. */
  #injectedFailure: string | undefined;

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
    const { synchronous, busyTimeoutMs, reservationRetentionMs } = this.#opts;
    const lock = lockDatabase(this.path, busyTimeoutMs);
    let db: Database.Database | undefined;
    try {
      // Migrated and pruned here, before the writer thread opens its connection.
      db = openDatabase({ path: this.path, synchronous, busyTimeoutMs });
      const tables = new StateTables(db);
      const ledger = new UsageLedger(db);
      const intake = new UsageIntake(db, this.#opts.dedupeWindow);
      const admin = new AdminTables(db);
      const reads = new ReadSession(db);
      const now = Date.now();
      tables.prune(now - reservationRetentionMs);
      this.#state = tables.load(now - reservationRetentionMs);
      this.#lastPrune = now;
      const batch = new GroupCommit<Batch>({
        maxBatch: this.#opts.maxBatch,
        create: emptyBatch,
        post: (b, seq) => this.#post(writer, b, seq),
        onSuccess: (b) => this.#afterFlush(reads, b),
        onError: (_e, failed) => this.#afterFailure(tables, reads, intake, failed),
      });
      const writer = await WriterThread.start(
        { path: this.path, synchronous, busyTimeoutMs },
        (reply: WriteReply) =>
          'error' in reply
            ? batch.ack(reply.seq, deserializeError(reply.error))
            : batch.ack(reply.seq, undefined, reply.results),
        (e) => {
          // Without its writer the store can acknowledge nothing more.
          this.#fatal = e;
          batch.fail(e);
        },
      );
      this.#open = { db, lock, writer, tables, reads, ledger, intake, admin, batch };
      this.#lastFlushOk = true;
    } catch (e) {
      db?.close();
      lock.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    const open = this.#open;
    if (!open) return;
    // Closed to callers first, so nothing is accepted that the last flush would miss.
    this.#open = undefined;
    this.#closed = true;
    open.batch.flush();
    await open.batch.settled();
    await open.writer.close();
    open.reads.end();
    open.db.close();
    // Released last: no other process may write before this one has finished.
    open.lock.close();
  }

  async ready(): Promise<boolean> {
    return this.#open !== undefined && this.#open.db.open && this.#lastFlushOk && this.#fatal === undefined;
  }

  /**
   * Test hook (fault injection): while `message` is set, every write transaction throws
   * an Error with that message inside the writer thread, just before it would commit.
   */
  injectWriteFailure(message: string | undefined): void {
    this.#injectedFailure = message;
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

  /** Closes a batch: the dirty state rows join it, and it goes to the writer thread. */
  #post(writer: WriterThread, b: Batch, seq: number): void {
    const msg = b.msg;
    takeDirty(this.#state!, msg);
    msg.usage = b.rows.pack();
    msg.seq = seq;
    msg.epoch = this.#epoch;
    if (this.#injectedFailure !== undefined) msg.fail = this.#injectedFailure;
    try {
      writer.post(msg);
    } catch (e) {
      // Earlier batches may still commit, so memory cannot be resynchronised: give up.
      this.#fatal = e;
      throw e;
    }
  }

  #afterFlush(reads: ReadSession, b: Batch): void {
    // Before the marks leave the pending set: the next read must see this commit.
    reads.end();
    this.#pending.committed(b.markKeys);
    this.#lastFlushOk = true;
  }

  /**
   * A batch rolled back, and every batch after it is being rejected: memory holds changes
   * the file does not. The writer refuses the rest of this epoch, so the file no longer
   * changes under us: reload the working copy so every later decision is made on what is
   * actually durable.
   */
  #afterFailure(
    tables: StateTables,
    reads: ReadSession,
    intake: UsageIntake,
    failed: readonly Batch[],
  ): void {
    reads.end();
    this.#pending.failed();
    intake.failed(failed);
    this.#lastFlushOk = false;
    this.#epoch += 1;
    if (this.#fatal !== undefined) return;
    try {
      this.#state = tables.load(Date.now() - this.#opts.reservationRetentionMs);
    } catch (e) {
      this.#fatal = e;
    }
  }

  /** Writes everything pending and waits for it, so SQL reads see every acknowledged change. */
  async #settled(): Promise<Open> {
    const open = this.#live();
    open.batch.flush();
    await open.batch.settled();
    return this.#live();
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

  /** Runs admin ops in the writer thread, in a transaction of their own after every pending batch. */
  async #adminWrite(ops: AdminOp[]): Promise<unknown[]> {
    const { batch } = this.#live();
    batch.flush();
    const done = batch.add(0, (b) => b.msg.admin.push(...ops));
    batch.flush();
    return done;
  }

  async loadBudgets(): Promise<BudgetSpec[]> {
    return (await this.#settled()).admin.budgets();
  }
  async saveBudget(spec: BudgetSpec, audit: AuditEntry): Promise<void> {
    await this.#adminWrite([
      { op: 'putBudget', spec },
      { op: 'putAudit', audit },
    ]);
  }
  async deleteBudget(id: string, audit: AuditEntry): Promise<void> {
    await this.#adminWrite([
      { op: 'deleteBudget', id },
      { op: 'putAudit', audit },
    ]);
  }

  async loadOverrides(): Promise<Override[]> {
    return (await this.#settled()).admin.overrides();
  }
  async saveOverride(override: Override, audit: AuditEntry): Promise<void> {
    await this.#adminWrite([
      { op: 'putOverride', override },
      { op: 'putAudit', audit },
    ]);
  }
  async deleteOverride(id: string, audit: AuditEntry): Promise<boolean> {
    const [had] = await this.#adminWrite([{ op: 'deleteOverride', id, audit }]);
    return had === true;
  }
  async listAudit(limit: number): Promise<AuditEntry[]> {
    return (await this.#settled()).admin.audit(limit);
  }

  async saveSnapshots(rows: Snapshot[]): Promise<void> {
    await this.#adminWrite(rows.map((snapshot): AdminOp => ({ op: 'putSnapshot', snapshot })));
  }
  async listSnapshots(budgetId: string, from: number, to: number): Promise<Snapshot[]> {
    return (await this.#settled()).admin.snapshots(budgetId, from, to);
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
    const { state, batch } = open;
    assertStorable(item.record);
    this.#maybePrune(Date.now());
    const r = state.reservations.get(reservationId);
    let outcome: CommitOutcome;
    if (r && r.state !== 'committed' && open.intake.has(item.record.id)) {
      // The record landed through another path already: count it once (as the memory store).
      outcome = state.commit(reservationId, { ...item, increments: [] });
    } else {
      outcome = state.commit(reservationId, item);
      if (outcome.status === 'committed' || outcome.status === 'late') {
        const cur = batch.current;
        open.intake.claim(item.record.id);
        cur.recordIds.push(item.record.id);
        open.intake.append(cur, item.record);
      }
    }
    const changed = outcome.status === 'committed' || outcome.status === 'late';
    await batch.add(changed ? 1 : 0);
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
    const { state, batch } = open;
    // All checked before any is applied: a call is accepted whole or rejected whole.
    for (const item of items) assertStorable(item.record);
    const cur = batch.current;
    let fresh = 0;
    const outcomes: RecordOutcome[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const id = item.record.id;
      if (!open.intake.claim(id)) {
        outcomes[i] = { duplicate: true, counters: item.increments.map((inc) => state.value(inc.counter)) };
        continue;
      }
      cur.recordIds.push(id);
      open.intake.append(cur, item.record);
      fresh += 1;
      outcomes[i] = { duplicate: false, counters: state.applyUsage(item) };
    }
    await batch.add(fresh);
    return outcomes;
  }

  async mark(key: string): Promise<boolean> {
    const { batch, admin, reads } = this.#live();
    if (this.#pending.hasMark(key)) {
      await batch.add(0);
      return false;
    }
    reads.begin();
    if (admin.hasMark(key)) {
      this.#pending.knownMark(key);
      await batch.add(0);
      return false;
    }
    this.#pending.addMark(key);
    const cur = batch.current;
    cur.msg.marks.push(key, Date.now());
    cur.markKeys.push(key);
    await batch.add(1);
    return true;
  }

  async getCursors(keys: readonly string[]): Promise<(string | undefined)[]> {
    const { admin, reads } = this.#live();
    return keys.map((key) => {
      const value = this.#pending.cursor(key);
      if (value !== undefined) return value;
      reads.begin();
      return admin.cursor(key);
    });
  }

  async putCursors(entries: readonly (readonly [string, string])[]): Promise<void> {
    const { batch } = this.#live();
    if (entries.length === 0) return;
    const at = Date.now();
    for (const [key, value] of entries) this.#pending.putCursor(key, value);
    // No units: the batch is not closed here, so a record() in the same turn joins it.
    await batch.add(0, (b) => {
      for (const [key, value] of entries) b.msg.admin.push({ op: 'putCursor', key, value, at });
    });
  }

  async queryUsage(q: UsageQuery & { limit?: number }): Promise<PricedRecord[]> {
    return (await this.#settled()).ledger.query(q);
  }
  async aggregateUsage(q: UsageQuery & { groupBy: readonly UsageGroupField[] }): Promise<UsageAggregate[]> {
    return (await this.#settled()).ledger.aggregate(q);
  }
}
