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
    this.dirtyCounters.add(ref.key);
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
    const before = holds.map((h) => this.value(h.counter));
    const failed: number[] = [];
    holds.forEach((h, i) => {
      const v = before[i]!;
      if (v.used + v.reserved + h.amount > h.cap) failed.push(i);
    });
    if (failed.length > 0) return { ok: false, failed, counters: before };
    const counters = holds.map((h) => {
      const row = this.#row(h.counter);
      row.reserved += h.amount;
      return { used: row.used, reserved: row.reserved };
    });
    this.reservations.set(reservation.id, reservation);
    if (reservation.idempotencyKey !== undefined)
      this.byIdempotencyKey.set(reservation.idempotencyKey, reservation.id);
    this.dirtyReservations.add(reservation.id);
    return { ok: true, reservation, counters, replayed: false };
  }

  #dropHolds(r: Reservation): void {
    for (const hold of r.holds) {
      const row = this.counters.get(hold.key);
      if (!row) continue;
      // Never below zero: a hold is dropped once, but a restored snapshot could be older.
      row.reserved = Math.max(0, row.reserved - hold.amount);
      this.dirtyCounters.add(hold.key);
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
    this.dirtyReservations.add(r.id);
    return { status: late ? 'late' : 'committed', reservation: updated, counters };
  }

  release(reservationId: string, state: 'released' | 'expired'): Reservation | undefined {
    const r = this.reservations.get(reservationId);
    if (!r || r.state !== 'active') return undefined;
    this.#dropHolds(r);
    const updated: Reservation = { ...r, state };
    this.reservations.set(r.id, updated);
    this.dirtyReservations.add(r.id);
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
