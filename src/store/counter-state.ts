import type {
  CommitOutcome,
  CounterRef,
  CounterRow,
  CounterValue,
  HoldSpec,
  RecordItem,
  Reservation,
  ReserveOutcome,
} from './store.ts';

/**
 * Counters and reservations held in memory, with the all-or-nothing rules of the
 * Store interface. The memory store is this state alone; the SQLite store keeps
 * this state as its working copy and persists what `dirty*` names in group-committed
 * transactions before it acknowledges. Every method is synchronous, so each is
 * atomic with respect to every other caller in the process.
 */
export class CounterState {
  readonly counters = new Map<string, CounterRow>();
  readonly reservations = new Map<string, Reservation>();
  readonly byIdempotencyKey = new Map<string, string>();
  /** Changed since the last take of the dirty sets (SQLite persistence). */
  readonly dirtyCounters = new Set<string>();
  readonly dirtyReservations = new Set<string>();
  /** Off for the memory store: nothing drains the dirty sets there, so they would only grow. */
  readonly #trackDirty: boolean;

  /** Finished reservation ids, oldest first, when `maxFinished` bounds how many are kept. */
  #finished: string[] = [];
  #finishedHead = 0;
  readonly #maxFinished: number;

  constructor({
    trackDirty = true,
    maxFinished = Number.POSITIVE_INFINITY,
  }: { trackDirty?: boolean; maxFinished?: number } = {}) {
    this.#trackDirty = trackDirty;
    this.#maxFinished = maxFinished;
  }

  /** Remembers a finished reservation (for idempotent replays) and forgets the oldest past the bound. */
  #finish(id: string): void {
    if (this.#maxFinished === Number.POSITIVE_INFINITY) return;
    this.#finished.push(id);
    while (this.#finished.length - this.#finishedHead > this.#maxFinished) {
      const old = this.reservations.get(this.#finished[this.#finishedHead]!);
      this.#finishedHead += 1;
      if (old && old.state !== 'active') {
        this.reservations.delete(old.id);
        if (old.idempotencyKey !== undefined) this.byIdempotencyKey.delete(old.idempotencyKey);
      }
    }
    if (this.#finishedHead > 65_536) {
      this.#finished = this.#finished.slice(this.#finishedHead);
      this.#finishedHead = 0;
    }
  }

  value(ref: CounterRef): CounterValue {
    const row = this.counters.get(ref.key);
    return row ? { used: row.used, reserved: row.reserved } : { used: 0, reserved: 0 };
  }

  #row(ref: CounterRef): CounterRow {
    let row = this.counters.get(ref.key);
    if (!row) {
      row = {
        key: ref.key,
        budgetId: ref.budgetId,
        group: ref.group,
        periodStart: ref.periodStart,
        used: 0,
        reserved: 0,
      };
      this.counters.set(ref.key, row);
    }
    if (this.#trackDirty) this.dirtyCounters.add(ref.key);
    return row;
  }

  listCounters(budgetId: string, periodStart: number): CounterRow[] {
    const out: CounterRow[] = [];
    for (const row of this.counters.values()) {
      if (row.budgetId === budgetId && row.periodStart === periodStart) out.push({ ...row });
    }
    return out;
  }

  reserve(reservation: Reservation, holds: HoldSpec[]): ReserveOutcome {
    const same = this.reservations.get(reservation.id);
    if (same)
      return {
        ok: true,
        reservation: same,
        counters: holds.map((h) => this.value(h.counter)),
        replayed: true,
      };
    if (reservation.idempotencyKey !== undefined) {
      const prior = this.reservations.get(this.byIdempotencyKey.get(reservation.idempotencyKey) ?? '');
      if (prior)
        return {
          ok: true,
          reservation: prior,
          counters: holds.map((h) => this.value(h.counter)),
          replayed: true,
        };
    }
    // Check every hold first, then apply them all: all or nothing.
    let failed: number[] | undefined;
    for (let i = 0; i < holds.length; i++) {
      const h = holds[i]!;
      const row = this.counters.get(h.counter.key);
      if ((row ? row.used + row.reserved : 0) + h.amount > h.cap) {
        failed ??= [];
        failed.push(i);
      }
    }
    if (failed) return { ok: false, failed, counters: holds.map((h) => this.value(h.counter)) };
    const counters: CounterValue[] = new Array(holds.length);
    for (let i = 0; i < holds.length; i++) {
      const h = holds[i]!;
      const row = this.#row(h.counter);
      row.reserved += h.amount;
      counters[i] = { used: row.used, reserved: row.reserved };
    }
    this.reservations.set(reservation.id, reservation);
    if (reservation.idempotencyKey !== undefined)
      this.byIdempotencyKey.set(reservation.idempotencyKey, reservation.id);
    if (this.#trackDirty) this.dirtyReservations.add(reservation.id);
    return { ok: true, reservation, counters, replayed: false };
  }

  #dropHolds(r: Reservation): void {
    for (const hold of r.holds) {
      const row = this.counters.get(hold.key);
      if (!row) continue;
      // Never below zero: a hold is dropped once, but a restored snapshot could be older.
      row.reserved = Math.max(0, row.reserved - hold.amount);
      if (this.#trackDirty) this.dirtyCounters.add(hold.key);
    }
  }

  /** Adds usage; returns the counters after. */
  applyUsage(item: RecordItem): CounterValue[] {
    return item.increments.map((inc) => {
      const row = this.#row(inc.counter);
      row.used += inc.used;
      return { used: row.used, reserved: row.reserved };
    });
  }

  /**
   * Commit = drop holds + add usage, in one step. The caller has already checked that
   * the record id is new (a duplicate record makes the commit a replay).
   */
  commit(reservationId: string, item: RecordItem): CommitOutcome {
    const r = this.reservations.get(reservationId);
    if (!r) return { status: 'not_found' };
    const current = () => item.increments.map((inc) => this.value(inc.counter));
    if (r.state === 'committed') return { status: 'duplicate', reservation: r, counters: current() };
    const late = r.state !== 'active';
    if (!late) this.#dropHolds(r);
    const counters = this.applyUsage(item);
    const updated: Reservation = late
      ? { ...r, recordId: item.record.id }
      : { ...r, state: 'committed', recordId: item.record.id };
    this.reservations.set(r.id, updated);
    if (this.#trackDirty) this.dirtyReservations.add(r.id);
    return { status: late ? 'late' : 'committed', reservation: updated, counters };
  }

  release(reservationId: string, state: 'released' | 'expired'): Reservation | undefined {
    const r = this.reservations.get(reservationId);
    if (!r || r.state !== 'active') return undefined;
    this.#dropHolds(r);
    const updated: Reservation = { ...r, state };
    this.reservations.set(r.id, updated);
    this.#finish(r.id);
    if (this.#trackDirty) this.dirtyReservations.add(r.id);
    return updated;
  }

  active(): Reservation[] {
    return [...this.reservations.values()].filter((r) => r.state === 'active');
  }

  expired(now: number): string[] {
    const out: string[] = [];
    for (const r of this.reservations.values())
      if (r.state === 'active' && r.expiresAt <= now) out.push(r.id);
    return out;
  }

  /** Forgets finished reservations older than `before`, keeping memory bounded. */
  prune(before: number): string[] {
    const dropped: string[] = [];
    for (const r of this.reservations.values()) {
      if (r.state !== 'active' && r.expiresAt < before) {
        this.reservations.delete(r.id);
        if (r.idempotencyKey !== undefined) this.byIdempotencyKey.delete(r.idempotencyKey);
        dropped.push(r.id);
      }
    }
    return dropped;
  }

  restoreCounter(row: CounterRow): void {
    this.counters.set(row.key, row);
  }

  restoreReservation(r: Reservation): void {
    this.reservations.set(r.id, r);
    if (r.idempotencyKey !== undefined) this.byIdempotencyKey.set(r.idempotencyKey, r.id);
  }
}
