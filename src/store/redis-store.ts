import type { BudgetSpec } from '../budget/budget-spec.ts';
import type { PricedRecord } from '../usage/usage-record.ts';
import { REDIS_DEFAULTS, type RedisStoreOptions } from './redis-config.ts';
import {
  asStoreError,
  connect,
  isUnavailable,
  type RedisClient,
  RedisUnavailableError,
  runScript,
} from './redis-connection.ts';
import { Generation, type GenerationProblem } from './redis-generation.ts';
import { counterTag, GLOBAL_TAG, KeyLayout } from './redis-keys.ts';
import type { ScriptName } from './redis-lua.ts';
import { RedisLedger } from './redis-ledger.ts';
import { RedisMeta } from './redis-meta.ts';
import { type BufferedWrite, OfflineBuffer } from './redis-offline-buffer.ts';
import {
  byTag,
  calls,
  type Clock,
  commitArgs,
  counterTtl,
  homeTag,
  placeItemValues,
  placeValues,
  readArgs,
  recordArgs,
  recordTag,
  releaseArgs,
  reservationTtl,
  reserveArgs,
} from './redis-plan.ts';
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
  ReservationState,
  ReserveOutcome,
  Snapshot,
  Store,
  UsageAggregate,
  UsageGroupField,
  UsageQuery,
} from './store.ts';

/** Where a reservation lives: its home section and every section holding for it. */
interface Located {
  home: string;
  tags: string[];
  /** As made here (the engine holds the same object): answers reads while Redis is away. */
  made?: Reservation;
}

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
 * threshold watcher must not fire on them (it fires once the replay's own counters do).
 */
const UNKNOWN: CounterValue = { used: 0, reserved: 0 };
const MAX_LOCATED = 100_000;

/**
 * Budget state shared by several bursar replicas in Redis (or a Redis Cluster). Each of
 * reserve, commit, release and record is one Lua script call (EVALSHA, EVAL on NOSCRIPT)
 * that checks and updates every counter it touches atomically; on a Cluster, one call per
 * hash-tag section in a compensated order (redis-plan.ts). Counter keys carry the period
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
  readonly #o: Required<Omit<RedisStoreOptions, 'url' | 'nodes' | 'password' | 'now'>>;
  readonly #now: () => number;
  readonly #client: RedisClient;
  readonly #gen: Generation;
  readonly #meta: RedisMeta;
  readonly #ledger: RedisLedger;
  readonly #buffer: OfflineBuffer;
  readonly #located = new Map<string, Located>();
  /** Counter keys this process has put in their budget period's index. */
  readonly #indexed = new Set<string>();
  /** Cursor writes waiting for the record() call of the same turn (one transaction). */
  #cursors: { entries: (readonly [string, string])[]; done: PromiseWithResolvers<void> } | undefined;
  #holdsExpired = 0;
  #replayTimer: NodeJS.Timeout | undefined;
  #open = false;

  constructor(options: RedisStoreOptions) {
    this.#o = {
      prefix: options.prefix ?? REDIS_DEFAULTS.prefix,
      commandTimeoutMs: options.commandTimeoutMs ?? REDIS_DEFAULTS.commandTimeoutMs,
      maxBufferedRecords: options.maxBufferedRecords ?? REDIS_DEFAULTS.maxBufferedRecords,
      counterGraceMs: options.counterGraceMs ?? REDIS_DEFAULTS.counterGraceMs,
      usageRetentionMs: options.usageRetentionMs ?? REDIS_DEFAULTS.usageRetentionMs,
      reservationRetentionMs: options.reservationRetentionMs ?? REDIS_DEFAULTS.reservationRetentionMs,
      holdPruneGraceMs: options.holdPruneGraceMs ?? REDIS_DEFAULTS.holdPruneGraceMs,
      perSlot: options.perSlot ?? options.nodes !== undefined,
    };
    this.#now = options.now ?? Date.now;
    this.keys = new KeyLayout(this.#o.prefix);
    this.#client = connect(options, this.#o.commandTimeoutMs);
    // Errors also reach the failing command; without a listener ioredis would log each one.
    this.#client.on('error', () => {});
    this.#client.on('ready', () => this.#replaySoon());
    this.#gen = new Generation(this.#client, this.keys);
    this.#meta = new RedisMeta(this.#client, this.keys);
    this.#ledger = new RedisLedger(this.#client, this.keys);
    this.#buffer = new OfflineBuffer(this.#o.maxBufferedRecords);
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
      holdsExpired: this.#holdsExpired,
    };
    if (reason !== undefined) h.reason = reason;
    return h;
  }

  /** Starts a new keyspace generation over the data as it is (operator recovery; tests). */
  resetGeneration(): Promise<string> {
    return this.#gen.reset();
  }

  // ---- running scripts ----

  #clock(): Clock {
    return {
      now: this.#now(),
      counterGraceMs: this.#o.counterGraceMs,
      usageRetentionMs: this.#o.usageRetentionMs,
      reservationRetentionMs: this.#o.reservationRetentionMs,
    };
  }

  #live(): void {
    if (!this.#open) throw new Error('RedisStore is not open: call init() first');
  }

  /** One script call over `tags`; a refusal by the generation check throws GenerationError. */
  async #run(
    name: ScriptName,
    tags: readonly string[],
    bump: boolean,
    c: Clock,
    opArgs: readonly (string | number)[],
  ): Promise<unknown[]> {
    const ensuring = this.#gen.ensure(tags);
    if (ensuring) await ensuring;
    const header: (string | number)[] = [c.now, c.now - this.#o.holdPruneGraceMs, this.#gen.id, tags.length];
    header.push(bump ? '1' : '0');
    for (const t of tags) header.push(this.#gen.lastSeq(t));
    const reply = await runScript(
      this.#client,
      name,
      tags.map((t) => this.keys.marker(t)),
      [...header, ...opArgs],
    );
    if (reply[0] === 'gen')
      throw this.#gen.refused(tags[Number(reply[2]) - 1]!, reply[1] as GenerationProblem);
    this.#gen.observe(tags, reply[1] as number[]);
    const expired = Number(reply[2]);
    if (expired > 0) this.#holdsExpired += expired;
    return reply;
  }

  /** Puts new counters in their budget period's index (before they exist: never missed). */
  async #index(refs: readonly CounterRef[], c: Clock): Promise<void> {
    let pending: Promise<void>[] | undefined;
    for (const ref of refs) {
      const key = this.keys.counter(counterTag(ref), ref.key);
      if (this.#indexed.has(key)) continue;
      if (this.#indexed.size >= MAX_LOCATED) this.#indexed.clear();
      const ttl = counterTtl(ref, c);
      const p = this.#meta.indexCounter(ref, key, ttl === '' ? undefined : Number(ttl));
      (pending ??= []).push(p.then(() => void this.#indexed.add(key)));
    }
    if (pending) await Promise.all(pending).catch((e: unknown) => Promise.reject(asStoreError(e)));
  }

  #remember(id: string, loc: Located): void {
    if (this.#located.size >= MAX_LOCATED) this.#located.clear();
    this.#located.set(id, loc);
  }

  async #locate(id: string): Promise<Located | undefined> {
    const known = this.#located.get(id);
    if (known) return known;
    let value: string | null;
    try {
      value = await this.#client.get(this.keys.locator(id));
    } catch (e) {
      throw asStoreError(e);
    }
    if (value === null) return undefined;
    const tags = value.split('\n');
    const loc = { home: tags[0]!, tags };
    this.#remember(id, loc);
    return loc;
  }

  #rebuild(json: unknown, state: unknown, recordId: unknown): Reservation {
    const r = JSON.parse(String(json)) as Reservation;
    r.state = String(state) as ReservationState;
    if (recordId) r.recordId = String(recordId);
    return r;
  }

  // ---- budgets, overrides, audit, snapshots, marks, cursors ----

  #m<T>(p: Promise<T>): Promise<T> {
    this.#live();
    return p.catch((e: unknown) => Promise.reject(asStoreError(e)));
  }

  loadBudgets(): Promise<BudgetSpec[]> {
    return this.#m(this.#meta.loadBudgets());
  }
  saveBudget(spec: BudgetSpec, audit: AuditEntry): Promise<void> {
    return this.#m(this.#meta.saveBudget(spec, audit));
  }
  deleteBudget(id: string, audit: AuditEntry): Promise<void> {
    return this.#m(this.#meta.deleteBudget(id, audit));
  }
  loadOverrides(): Promise<Override[]> {
    return this.#m(this.#meta.loadOverrides());
  }
  saveOverride(override: Override, audit: AuditEntry): Promise<void> {
    return this.#m(this.#meta.saveOverride(override, audit));
  }
  deleteOverride(id: string, audit: AuditEntry): Promise<boolean> {
    return this.#m(this.#meta.deleteOverride(id, audit));
  }
  listAudit(limit: number): Promise<AuditEntry[]> {
    return this.#m(this.#meta.listAudit(limit));
  }
  saveSnapshots(rows: Snapshot[]): Promise<void> {
    return this.#m(this.#meta.saveSnapshots(rows, this.#now() - this.#o.usageRetentionMs));
  }
  listSnapshots(budgetId: string, from: number, to: number): Promise<Snapshot[]> {
    return this.#m(this.#meta.listSnapshots(budgetId, from, to));
  }
  mark(key: string): Promise<boolean> {
    return this.#m(this.#meta.mark(key));
  }

  async getCursors(keys: readonly string[]): Promise<(string | undefined)[]> {
    const stored = await this.#m(this.#meta.getCursors(keys));
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

  // ---- counters ----

  async getCounters(refs: readonly CounterRef[]): Promise<CounterValue[]> {
    this.#live();
    if (refs.length === 0) return [];
    const groups = byTag(refs);
    const c = this.#clock();
    const out: CounterValue[] = new Array(refs.length);
    await Promise.all(
      calls([...groups.keys()], this.#o.perSlot).map(async (tags) => {
        const reply = await this.#run('read', tags, false, c, readArgs(tags, groups, refs));
        placeValues(out, reply[3] as unknown[], tags, groups);
      }),
    );
    return out;
  }

  listCounters(budgetId: string, periodStart: number): Promise<CounterRow[]> {
    return this.#m(this.#meta.listCounters(budgetId, periodStart));
  }

  // ---- reservations ----

  async reserve(reservation: Reservation, holds: HoldSpec[]): Promise<ReserveOutcome> {
    this.#live();
    const c = this.#clock();
    const home = homeTag(reservation, holds);
    const groups = byTag(
      holds.map((h) => h.counter),
      [home],
    );
    // Other sections first, the reservation's own last (see redis-plan.ts).
    const order = [...[...groups.keys()].filter((t) => t !== home), home];
    const loc: Located = { home, tags: [home, ...order.slice(0, -1)], made: reservation };
    const locator: [string, string] = [this.keys.locator(reservation.id), loc.tags.join('\n')];
    await this.#index(
      holds.map((h) => h.counter),
      c,
    );
    const counters: CounterValue[] = new Array(holds.length);
    const placed: string[] = [];
    try {
      for (const tags of calls(order, this.#o.perSlot)) {
        const inScript = this.#o.perSlot ? undefined : locator;
        const args = reserveArgs(tags, home, groups, holds, reservation, c, inScript);
        const reply = await this.#run('reserve', tags, true, c, args);
        placeValues(counters, reply[3] as unknown[], tags, groups);
        if (reply[0] === 'fail') {
          await this.#undo(reservation.id, placed, c);
          const failed = (reply[4] as number[]).map((k) => indexAt(tags, groups, Number(k) - 1));
          return { ok: false, failed, counters: await this.#current(holds, counters, tags, groups) };
        }
        if (reply[0] === 'replay') {
          await this.#undo(reservation.id, placed, c);
          const prior = this.#rebuild(reply[4], reply[5], reply[6]);
          return {
            ok: true,
            reservation: prior,
            counters: await this.getCounters(holds.map((h) => h.counter)),
            replayed: true,
          };
        }
        placed.push(...tags);
      }
      if (this.#o.perSlot) {
        await this.#client.set(locator[0], locator[1], 'PX', reservationTtl(reservation, c));
      }
    } catch (e) {
      if (placed.length > 0) await this.#undo(reservation.id, placed, c).catch(() => {});
      throw asStoreError(e);
    }
    this.#remember(reservation.id, loc);
    return { ok: true, reservation, counters, replayed: false };
  }

  /** Counters after a denied reserve: those of the denying call, the rest read again. */
  async #current(
    holds: readonly HoldSpec[],
    known: CounterValue[],
    tags: readonly string[],
    groups: Map<string, number[]>,
  ): Promise<CounterValue[]> {
    const have = new Set(tags.flatMap((t) => groups.get(t) ?? []));
    if (have.size === holds.length) return known;
    const fresh = await this.getCounters(holds.map((h) => h.counter));
    return fresh.map((v, i) => (have.has(i) ? known[i]! : v));
  }

  /** Compensation of a per-section reserve: drops the holds placed in earlier sections. */
  async #undo(id: string, tags: readonly string[], c: Clock): Promise<void> {
    for (const tag of tags) await this.#run('release', [tag], true, c, releaseArgs([tag], '', id, 'undo'));
  }

  async commit(reservationId: string, item: RecordItem): Promise<CommitOutcome> {
    this.#live();
    let known = this.#located.get(reservationId);
    try {
      known ??= await this.#locate(reservationId);
      if (!known) return { status: 'not_found' };
      return await this.#commit(reservationId, item, known);
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

  async #commit(reservationId: string, item: RecordItem, loc: Located): Promise<CommitOutcome> {
    const c = this.#clock();
    const rec = recordTag(item);
    const groups = byTag(
      item.increments.map((i) => i.counter),
      loc.tags,
    );
    if (!groups.has(rec)) groups.set(rec, []);
    const rest = [...groups.keys()].filter((t) => t !== rec && t !== loc.home);
    const order = [...rest, ...(rec === loc.home ? [] : [rec]), loc.home];
    await this.#index(
      item.increments.map((i) => i.counter),
      c,
    );
    const counters: CounterValue[] = new Array(item.increments.length);
    let last: unknown[] = [];
    for (const tags of calls(order, this.#o.perSlot)) {
      const args = commitArgs(tags, loc.home, rec, groups, reservationId, item, c);
      last = await this.#run('commit', tags, true, c, args);
      if (last[0] === 'not_found') return { status: 'not_found' };
      placeValues(counters, last[3] as unknown[], tags, groups);
    }
    const reservation = this.#rebuild(last[4], last[5], last[6]);
    const status = last[0] as 'committed' | 'late' | 'duplicate';
    if (status !== 'late') this.#located.delete(reservationId);
    return { status, reservation, counters };
  }

  async release(reservationId: string, state: 'released' | 'expired'): Promise<Reservation | undefined> {
    this.#live();
    const loc = await this.#locate(reservationId);
    if (!loc) return undefined;
    const c = this.#clock();
    let first: unknown[] | undefined;
    try {
      for (const tags of calls(loc.tags, this.#o.perSlot)) {
        const reply = await this.#run(
          'release',
          tags,
          true,
          c,
          releaseArgs(tags, loc.home, reservationId, state),
        );
        first ??= reply;
        if (reply[0] === 'none') return undefined;
      }
    } catch (e) {
      // Sections after the home one keep their holds until the scripts prune them.
      if (first === undefined) throw asStoreError(e);
    }
    this.#located.delete(reservationId);
    return this.#rebuild(first![3], first![4], first![5]);
  }

  async getReservation(id: string): Promise<Reservation | undefined> {
    this.#live();
    const known = this.#located.get(id);
    try {
      const loc = known ?? (await this.#locate(id));
      if (!loc) return undefined;
      const [j, st, rec] = await this.#client.hmget(this.keys.reservation(loc.home, id), 'j', 'st', 'rec');
      return j === null ? undefined : this.#rebuild(j, st, rec);
    } catch (e) {
      const error = asStoreError(e);
      // Made here: as it was made (a commit of it is buffered while Redis is away).
      if (error instanceof RedisUnavailableError && known?.made) return known.made;
      throw error;
    }
  }

  async #scanHolds(until: number | undefined): Promise<Map<string, string[]>> {
    const tags = await this.#m(this.#meta.tags());
    const lists = await this.#m(
      Promise.all(
        tags.map((t) =>
          until === undefined
            ? this.#client.zrange(this.keys.holds(t), '0', '-1')
            : this.#client.zrangebyscore(this.keys.holds(t), '-inf', String(until)),
        ),
      ),
    );
    return new Map(tags.map((t, i) => [t, lists[i]!]));
  }

  async activeReservations(): Promise<Reservation[]> {
    const out: Reservation[] = [];
    for (const [tag, ids] of await this.#scanHolds(undefined)) {
      const rows = await this.#m(
        Promise.all(ids.map((id) => this.#client.hmget(this.keys.reservation(tag, id), 'j', 'st', 'rec'))),
      );
      for (const [j, st, rec] of rows) if (j !== null && st === 'active') out.push(this.#rebuild(j, st, rec));
    }
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }

  async expiredReservations(now: number): Promise<string[]> {
    const ids = new Set<string>();
    for (const list of (await this.#scanHolds(now)).values()) for (const id of list) ids.add(id);
    return [...ids];
  }

  // ---- usage ----

  async record(items: RecordItem[]): Promise<RecordOutcome[]> {
    this.#live();
    const cursors = this.#cursors;
    this.#cursors = undefined;
    const entries = cursors?.entries ?? [];
    try {
      const out = await this.#record(items, entries);
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

  async #record(
    items: readonly RecordItem[],
    cursors: readonly (readonly [string, string])[],
  ): Promise<RecordOutcome[]> {
    const c = this.#clock();
    const tagSet = new Set<string>();
    for (const item of items) for (const inc of item.increments) tagSet.add(counterTag(inc.counter));
    const recTags = new Set(items.map(recordTag));
    // Sections that only count (the global one) first, the records' own sections last.
    const order = [...[...tagSet].filter((t) => !recTags.has(t)), ...recTags];
    await this.#index(
      items.flatMap((i) => i.increments.map((inc) => inc.counter)),
      c,
    );
    const out: RecordOutcome[] = items.map((item) => ({
      duplicate: false,
      counters: new Array(item.increments.length),
    }));
    for (const tags of calls(order, this.#o.perSlot)) {
      const oneCall = !this.#o.perSlot;
      const { args, sent } = recordArgs(tags, items, c, oneCall ? cursors : [], this.#meta.cursorKey());
      if (sent.length === 0) continue;
      const reply = await this.#run('record', tags, true, c, args);
      (reply[3] as [number, unknown[]][]).forEach(([dup, vals], k) => {
        const i = sent[k]!;
        if (Number(dup) === 1) out[i]!.duplicate = true;
        placeItemValues(out[i]!.counters, vals, items[i]!, tags);
      });
    }
    if (this.#o.perSlot && cursors.length > 0) await this.#meta.putCursors(cursors);
    return out;
  }

  queryUsage(q: UsageQuery & { limit?: number }): Promise<PricedRecord[]> {
    return this.#m(this.#ledger.query(q, () => this.#meta.tags()));
  }

  aggregateUsage(q: UsageQuery & { groupBy: readonly UsageGroupField[] }): Promise<UsageAggregate[]> {
    return this.#m(this.#ledger.aggregate(q, () => this.#meta.tags()));
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
        if (w.items.length > 0) await this.#record(w.items, w.cursors);
        else await this.#meta.putCursors(w.cursors);
        return;
      }
      const loc = await this.#locate(w.reservationId);
      // A reservation gone past its retention: the usage still lands, as a plain record.
      if (!loc) await this.#record([w.item], []);
      else await this.#commit(w.reservationId, w.item, loc);
    });
  }

  /** Test hook: replays the buffer now and waits for it. */
  flushBuffer(): Promise<void> {
    return this.#replay();
  }
}

/** The original hold index of the k-th hold of a call. */
function indexAt(tags: readonly string[], groups: Map<string, number[]>, k: number): number {
  for (const t of tags) {
    const list = groups.get(t) ?? [];
    if (k < list.length) return list[k]!;
    k -= list.length;
  }
  return -1;
}

export { GLOBAL_TAG };
