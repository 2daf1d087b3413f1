import type Database from 'better-sqlite3';
import { CounterState } from './counter-state.ts';
import type { CounterRow, Reservation, ReservationState } from './store.ts';

/**
 * Counters and reservations on disk: loading them into a CounterState (the working
 * copy) and writing back what the state marked dirty. Values are written absolute,
 * never as deltas, so the table equals memory after every flush whatever came before.
 */

interface CounterDbRow {
  key: string;
  budget_id: string;
  grp: string;
  period_start: number;
  used: number;
  reserved: number;
}

interface ReservationDbRow {
  id: string;
  idempotency_key: string | null;
  created_at: number;
  expires_at: number;
  state: string;
  holds: string;
  request: string;
  record_id: string | null;
}

function toReservation(row: ReservationDbRow): Reservation {
  const r: Reservation = {
    id: row.id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    state: row.state as ReservationState,
    holds: JSON.parse(row.holds),
    request: JSON.parse(row.request),
  };
  if (row.idempotency_key !== null) r.idempotencyKey = row.idempotency_key;
  if (row.record_id !== null) r.recordId = row.record_id;
  return r;
}

/** Dirty counters and reservations as plain rows, ready to post to the writer thread. */
export interface DirtyRows {
  /** Flat: key, budget_id, grp, period_start, used, reserved per counter. */
  counters: unknown[];
  counterDeletes: string[];
  /** Flat: the 8 reservation columns per reservation. */
  reservations: unknown[];
  reservationDeletes: string[];
}

const COUNTER_WIDTH = 6;
const RESERVATION_WIDTH = 8;

/**
 * Moves what the state marked dirty into `out` (current values, absolute) and clears the
 * dirty sets. A dirty key missing from memory was pruned and is deleted, so the table
 * always equals the working copy for every key it names.
 */
export function takeDirty(state: CounterState, out: DirtyRows): void {
  for (const key of state.dirtyCounters) {
    const c = state.counters.get(key);
    if (c) out.counters.push(c.key, c.budgetId, c.group, c.periodStart, c.used, c.reserved);
    else out.counterDeletes.push(key);
  }
  for (const id of state.dirtyReservations) {
    const r = state.reservations.get(id);
    if (!r) {
      out.reservationDeletes.push(id);
      continue;
    }
    out.reservations.push(
      r.id,
      r.idempotencyKey ?? null,
      r.createdAt,
      r.expiresAt,
      r.state,
      JSON.stringify(r.holds),
      JSON.stringify(r.request),
      r.recordId ?? null,
    );
  }
  state.dirtyCounters.clear();
  state.dirtyReservations.clear();
}

/** Reads on the main thread's connection: the startup load, and the reload after a failed write. */
export class StateTables {
  readonly #allCounters: Database.Statement<[], CounterDbRow>;
  readonly #liveReservations: Database.Statement<[number], ReservationDbRow>;
  readonly #pruneReservations: Database.Statement<[number]>;

  constructor(db: Database.Database) {
    this.#allCounters = db.prepare('SELECT key, budget_id, grp, period_start, used, reserved FROM counters');
    this.#liveReservations = db.prepare(
      `SELECT id, idempotency_key, created_at, expires_at, state, holds, request, record_id FROM reservations
       WHERE state = 'active' OR expires_at >= ? ORDER BY rowid`,
    );
    this.#pruneReservations = db.prepare(
      "DELETE FROM reservations WHERE state <> 'active' AND expires_at < ?",
    );
  }

  /** Deletes finished reservations that expired before `before`; returns how many. Startup only. */
  prune(before: number): number {
    return this.#pruneReservations.run(before).changes;
  }

  /**
   * A fresh working copy from disk: every counter, and the reservations that are active
   * or finished within the retention window (`expires_at >= keepAfter`). Reads only, so
   * it also works to resynchronise after a failed write.
   */
  load(keepAfter: number): CounterState {
    const state = new CounterState();
    for (const row of this.#allCounters.iterate()) {
      const counter: CounterRow = {
        key: row.key,
        budgetId: row.budget_id,
        group: row.grp,
        periodStart: row.period_start,
        used: row.used,
        reserved: row.reserved,
      };
      state.restoreCounter(counter);
    }
    for (const row of this.#liveReservations.iterate(keepAfter)) state.restoreReservation(toReservation(row));
    return state;
  }
}

/** Writes DirtyRows on the writer thread's connection, inside its transaction. */
export class StateWriter {
  readonly #upsertCounter: Database.Statement;
  readonly #deleteCounter: Database.Statement;
  readonly #upsertReservation: Database.Statement;
  readonly #deleteReservation: Database.Statement;

  constructor(db: Database.Database) {
    this.#upsertCounter = db.prepare(
      `INSERT INTO counters (key, budget_id, grp, period_start, used, reserved) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET used = excluded.used, reserved = excluded.reserved`,
    );
    this.#deleteCounter = db.prepare('DELETE FROM counters WHERE key = ?');
    this.#upsertReservation = db.prepare(
      `INSERT INTO reservations (id, idempotency_key, created_at, expires_at, state, holds, request, record_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET idempotency_key = excluded.idempotency_key, created_at = excluded.created_at,
         expires_at = excluded.expires_at, state = excluded.state, holds = excluded.holds,
         request = excluded.request, record_id = excluded.record_id`,
    );
    this.#deleteReservation = db.prepare('DELETE FROM reservations WHERE id = ?');
  }

  write(rows: DirtyRows): void {
    const { counters, reservations } = rows;
    for (let i = 0; i < counters.length; i += COUNTER_WIDTH) {
      this.#upsertCounter.run(counters.slice(i, i + COUNTER_WIDTH));
    }
    for (const key of rows.counterDeletes) this.#deleteCounter.run(key);
    for (let i = 0; i < reservations.length; i += RESERVATION_WIDTH) {
      this.#upsertReservation.run(reservations.slice(i, i + RESERVATION_WIDTH));
    }
    for (const id of rows.reservationDeletes) this.#deleteReservation.run(id);
  }
}
