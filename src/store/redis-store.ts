import type { BudgetSpec } from '../budget/budget-spec.ts';
import type { PricedRecord } from '../usage/usage-record.ts';
import { REDIS_DEFAULTS, type RedisStoreOptions } from './redis-config.ts';
import {
  asStoreError,
  connect,
  isUnavailable,
  type RedisClient,
  RedisUnavailableError,
} from './redis-connection.ts';
import { Generation } from './redis-generation.ts';
import { KeyLayout } from './redis-keys.ts';
import { RedisLedger } from './redis-ledger.ts';
import { RedisMeta } from './redis-meta.ts';
import { type BufferedWrite, OfflineBuffer } from './redis-offline-buffer.ts';
import { RedisReservations } from './redis-reservations.ts';
import { ScriptRunner } from './redis-runner.ts';
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

/** What /readyz and /metrics show of the store beyond up/down. */
export interface RedisStoreHealth {
  ready: boolean;
  reason?: string;
  /** Usage records and commits waiting in the fail-open buffer. */
  buffered: number;
  bufferCapacity: number;
  replayed: number;
  rejected: number;
  /** Holds the scripts dropped because their reservation expired unreleased. */
  holdsExpired: number;
}

/**
 * Counter values answered for buffered usage: not known until it lands. Zero, not NaN: the
 * threshold watcher must not fire on them.
 */
const UNKNOWN: CounterValue = { used: 0, reserved: 0 };

/**
 * Budget state shared by several bursar replicas in Redis (or a Redis Cluster). Each of
 * reserve, commit, release and record is one operation of a Lua script call (EVALSHA,
 * EVAL on NOSCRIPT) that checks and updates every counter it touches atomically; on one
 * Redis, operations made in the same event loop turn share a call (redis-runner.ts); on a
 * Cluster, one call per hash-tag section in a compensated order (redis-plan.ts). Counter keys carry the period
 * start and expire after the period plus a grace; money is integer (HINCRBY only).
 *
 * When Redis cannot be reached every call fails fast with RedisUnavailableError (the
 * engine applies each budget's failMode), except usage: records and commits go to a
 * bounded buffer and are replayed, idempotently, when Redis is back. A Redis that lost or
 * rewound its data is detected (redis-generation.ts) and treated as unavailable.
 */
export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  readonly keys: KeyLayout;
  readonly #usageRetentionMs: number;
  readonly #now: () => number;
  readonly #client: RedisClient;
  readonly #gen: Generation;
  readonly #meta: RedisMeta;
  readonly #ledger: RedisLedger;
  readonly #runner: ScriptRunner;
  readonly #reservations: RedisReservations;
  readonly #buffer: OfflineBuffer;
  /** Cursor writes waiting for the record() call of the same turn (one transaction). */
  #cursors: { entries: (readonly [string, string])[]; done: PromiseWithResolvers<void> } | undefined;
  #replayTimer: NodeJS.Timeout | undefined;
  #open = false;

  constructor(options: RedisStoreOptions) {
    const d = REDIS_DEFAULTS;
    this.#now = options.now ?? Date.now;
    this.#usageRetentionMs = options.usageRetentionMs ?? d.usageRetentionMs;
    this.keys = new KeyLayout(options.prefix ?? d.prefix);
    this.#client = connect(options, options.commandTimeoutMs ?? d.commandTimeoutMs);
    // Errors also reach the failing command; without a listener ioredis would log each one.
    this.#client.on('error', () => {});
    this.#client.on('ready', () => this.#replaySoon());
    this.#gen = new Generation(this.#client, this.keys);
    this.#meta = new RedisMeta(this.#client, this.keys);
    this.#ledger = new RedisLedger(this.#client, this.keys);
    this.#runner = new ScriptRunner(
      this.#client,
      this.keys,
      this.#gen,
      this.#meta,
      {
        perSlot: options.perSlot ?? options.nodes !== undefined,
        holdPruneGraceMs: options.holdPruneGraceMs ?? d.holdPruneGraceMs,
        counterGraceMs: options.counterGraceMs ?? d.counterGraceMs,
        usageRetentionMs: this.#usageRetentionMs,
        reservationRetentionMs: options.reservationRetentionMs ?? d.reservationRetentionMs,
      },
      this.#now,
    );
    this.#reservations = new RedisReservations(this.#runner);
    this.#buffer = new OfflineBuffer(options.maxBufferedRecords ?? d.maxBufferedRecords);
  }

  /** The ioredis client (tests and the benchmark use it for raw commands). */
  get client(): RedisClient {
    return this.#client;
  }

  async init(): Promise<void> {
    if (this.#open) return;
    await this.#client.connect();
    await this.#gen.init();
    this.#open = true;
    this.#replayTimer = setInterval(() => this.#replaySoon(), 500);
    this.#replayTimer.unref();
  }

  async close(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    clearInterval(this.#replayTimer);
    await this.#replay().catch(() => {});
    this.#client.disconnect();
  }

  async ready(): Promise<boolean> {
    return (await this.health()).ready;
  }

  async health(): Promise<RedisStoreHealth> {
    let reason: string | undefined;
    if (!this.#open) reason = 'the redis store is not open';
    else if (this.#client.status !== 'ready') reason = `redis is not connected (${this.#client.status})`;
    else
      reason = await this.#gen.check().catch((e: unknown) => `redis check failed: ${(e as Error).message}`);
    const b = this.#buffer;
    const h: RedisStoreHealth = {
      ready: reason === undefined,
      buffered: b.size,
      bufferCapacity: b.capacity,
      replayed: b.replayed,
      rejected: b.rejected,
      holdsExpired: this.#runner.holdsExpired,
    };
    if (reason !== undefined) h.reason = reason;
    return h;
  }

  /** Starts a new keyspace generation over the data as it is (operator recovery; tests). */
  resetGeneration(): Promise<string> {
    return this.#gen.reset();
  }

  #live(): void {
    if (!this.#open) throw new Error('RedisStore is not open: call init() first');
  }

  /** An operation's errors as the store's (unavailability becomes RedisUnavailableError). */
  #m<T>(p: () => Promise<T>): Promise<T> {
    this.#live();
    return p().catch((e: unknown) => Promise.reject(asStoreError(e)));
  }

  // ---- budgets, overrides, audit, snapshots, marks, cursors ----

  loadBudgets(): Promise<BudgetSpec[]> {
    return this.#m(() => this.#meta.loadBudgets());
  }
  saveBudget(spec: BudgetSpec, audit: AuditEntry): Promise<void> {
    return this.#m(() => this.#meta.saveBudget(spec, audit));
  }
  deleteBudget(id: string, audit: AuditEntry): Promise<void> {
    return this.#m(() => this.#meta.deleteBudget(id, audit));
  }
  loadOverrides(): Promise<Override[]> {
    return this.#m(() => this.#meta.loadOverrides());
  }
  saveOverride(override: Override, audit: AuditEntry): Promise<void> {
    return this.#m(() => this.#meta.saveOverride(override, audit));
  }
  deleteOverride(id: string, audit: AuditEntry): Promise<boolean> {
    return this.#m(() => this.#meta.deleteOverride(id, audit));
  }
  listAudit(limit: number): Promise<AuditEntry[]> {
    return this.#m(() => this.#meta.listAudit(limit));
  }
  saveSnapshots(rows: Snapshot[]): Promise<void> {
    return this.#m(() => this.#meta.saveSnapshots(rows, this.#now() - this.#usageRetentionMs));
  }
  listSnapshots(budgetId: string, from: number, to: number): Promise<Snapshot[]> {
    return this.#m(() => this.#meta.listSnapshots(budgetId, from, to));
  }
  mark(key: string): Promise<boolean> {
    return this.#m(() => this.#meta.mark(key));
  }

  async getCursors(keys: readonly string[]): Promise<(string | undefined)[]> {
    const stored = await this.#m(() => this.#meta.getCursors(keys));
    return keys.map((k, i) => {
      const pending = this.#cursors?.entries.findLast(([key]) => key === k)?.[1];
      return pending ?? this.#buffer.cursor(k) ?? stored[i];
    });
  }

  /** Written with the record() call made in the same turn (same script on one Redis), else alone. */
  putCursors(entries: readonly (readonly [string, string])[]): Promise<void> {
    this.#live();
    if (entries.length === 0) return Promise.resolve();
    if (!this.#cursors) {
      const batch = { entries: [] as (readonly [string, string])[], done: Promise.withResolvers<void>() };
      this.#cursors = batch;
      queueMicrotask(() => {
        if (this.#cursors !== batch) return;
        this.#cursors = undefined;
        this.#meta.putCursors(batch.entries).then(batch.done.resolve, (e: unknown) => {
          if (isUnavailable(e) && this.#buffer.push({ kind: 'record', items: [], cursors: batch.entries }))
            batch.done.resolve();
          else batch.done.reject(asStoreError(e));
        });
      });
    }
    this.#cursors.entries.push(...entries);
    return this.#cursors.done.promise;
  }

  // ---- counters and reservations ----

  getCounters(refs: readonly CounterRef[]): Promise<CounterValue[]> {
    return this.#m(() => this.#runner.read(refs));
  }
  listCounters(budgetId: string, periodStart: number): Promise<CounterRow[]> {
    return this.#m(() => this.#meta.listCounters(budgetId, periodStart));
  }
  reserve(reservation: Reservation, holds: HoldSpec[]): Promise<ReserveOutcome> {
    return this.#m(() => this.#reservations.reserve(reservation, holds));
  }

  async commit(reservationId: string, item: RecordItem): Promise<CommitOutcome> {
    this.#live();
    let known = this.#reservations.known(reservationId);
    try {
      known ??= await this.#reservations.locate(reservationId);
      if (!known) return { status: 'not_found' };
      return await this.#reservations.commit(reservationId, item, known);
    } catch (e) {
      const error = asStoreError(e);
      // The call happened: its usage is kept and lands when Redis is back. Only for a
      // reservation made here: another replica's could not be told from a wrong id.
      if (!(error instanceof RedisUnavailableError) || !known?.made) throw error;
      if (!this.#buffer.push({ kind: 'commit', reservationId, item })) throw error;
      const reservation: Reservation = { ...known.made, state: 'committed', recordId: item.record.id };
      return { status: 'committed', reservation, counters: item.increments.map(() => UNKNOWN) };
    }
  }

  release(reservationId: string, state: 'released' | 'expired'): Promise<Reservation | undefined> {
    return this.#m(() => this.#reservations.release(reservationId, state));
  }

  async getReservation(id: string): Promise<Reservation | undefined> {
    this.#live();
    try {
      return await this.#reservations.get(id);
    } catch (e) {
      const error = asStoreError(e);
      // Made here: as it was made (a commit of it is buffered while Redis is away).
      const made = this.#reservations.known(id)?.made;
      if (error instanceof RedisUnavailableError && made) return made;
      throw error;
    }
  }

  activeReservations(): Promise<Reservation[]> {
    return this.#m(() => this.#reservations.active());
  }
  expiredReservations(now: number): Promise<string[]> {
    return this.#m(() => this.#reservations.expired(now));
  }

  // ---- usage ----

  async record(items: RecordItem[]): Promise<RecordOutcome[]> {
    this.#live();
    const cursors = this.#cursors;
    this.#cursors = undefined;
    const entries = cursors?.entries ?? [];
    try {
      const out = await this.#runner.record(items, entries);
      cursors?.done.resolve();
      return out;
    } catch (e) {
      const error = asStoreError(e);
      const kept =
        error instanceof RedisUnavailableError &&
        this.#buffer.push({ kind: 'record', items, cursors: entries });
      if (!kept) {
        cursors?.done.reject(error);
        throw error;
      }
      cursors?.done.resolve();
      return items.map((item) => ({ duplicate: false, counters: item.increments.map(() => UNKNOWN) }));
    }
  }

  queryUsage(q: UsageQuery & { limit?: number }): Promise<PricedRecord[]> {
    return this.#m(() => this.#ledger.query(q, () => this.#meta.tags()));
  }
  aggregateUsage(q: UsageQuery & { groupBy: readonly UsageGroupField[] }): Promise<UsageAggregate[]> {
    return this.#m(() => this.#ledger.aggregate(q, () => this.#meta.tags()));
  }

  // ---- the fail-open buffer ----

  #replaySoon(): void {
    if (!this.#open || this.#buffer.size === 0 || this.#client.status !== 'ready') return;
    this.#replay().catch(() => {
      // Still away: the next tick or reconnection tries again.
    });
  }

  #replay(): Promise<void> {
    return this.#buffer.replay(async (w: BufferedWrite) => {
      if (w.kind === 'record') {
        await this.#runner.record(w.items, w.cursors);
        return;
      }
      const loc = await this.#reservations.locate(w.reservationId);
      // A reservation gone past its retention: the usage still lands, as a plain record.
      if (!loc) await this.#runner.record([w.item], []);
      else await this.#reservations.commit(w.reservationId, w.item, loc);
    });
  }

  /** Test hook: replays the buffer now and waits for it. */
  flushBuffer(): Promise<void> {
    return this.#replay();
  }
}
