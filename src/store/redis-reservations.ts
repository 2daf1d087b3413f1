import { asStoreError } from './redis-connection.ts';
import {
  byTag,
  calls,
  type Clock,
  commitArgs,
  homeTag,
  placeValues,
  recordTag,
  releaseArgs,
  reservationTtl,
  reserveArgs,
} from './redis-plan.ts';
import type { ScriptRunner } from './redis-runner.ts';
import type {
  CommitOutcome,
  CounterValue,
  HoldSpec,
  RecordItem,
  Reservation,
  ReservationState,
  ReserveOutcome,
} from './store.ts';

/** Where a reservation lives: its home section and every section holding for it. */
export interface Located {
  home: string;
  tags: string[];
  /** As made here (the engine holds the same object): answers reads while Redis is away. */
  made?: Reservation;
}

const MAX_LOCATED = 100_000;

/**
 * Reservations in Redis: each lives in its home section (the tenant's, or the global one
 * when it holds only there), with `P:{l:<id>}` naming its sections for replicas that did
 * not make it. Reserve, commit and release are one script call each on one Redis, one per
 * section in a compensated order on a Cluster (redis-plan.ts).
 */
export class RedisReservations {
  readonly #r: ScriptRunner;
  readonly #located = new Map<string, Located>();

  constructor(runner: ScriptRunner) {
    this.#r = runner;
  }

  /** Known here without asking Redis (made here, or looked up before). */
  known(id: string): Located | undefined {
    return this.#located.get(id);
  }

  #remember(id: string, loc: Located): void {
    if (this.#located.size >= MAX_LOCATED) this.#located.clear();
    this.#located.set(id, loc);
  }

  async locate(id: string): Promise<Located | undefined> {
    const known = this.#located.get(id);
    if (known) return known;
    let value: string | null;
    try {
      value = await this.#r.client.get(this.#r.keys.locator(id));
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

  async reserve(reservation: Reservation, holds: HoldSpec[]): Promise<ReserveOutcome> {
    const r = this.#r;
    const c = r.clock();
    const home = homeTag(reservation, holds);
    const refs = holds.map((h) => h.counter);
    const groups = byTag(refs, [home]);
    // Other sections first, the reservation's own last (see redis-plan.ts).
    const order = [...[...groups.keys()].filter((t) => t !== home), home];
    const loc: Located = { home, tags: [home, ...order.slice(0, -1)], made: reservation };
    const locator: [string, string] = [r.keys.locator(reservation.id), loc.tags.join('\n')];
    await r.index(refs, c);
    const counters: CounterValue[] = new Array(holds.length);
    const placed: string[] = [];
    try {
      for (const tags of calls(order, r.o.perSlot)) {
        const args = reserveArgs(
          tags,
          home,
          groups,
          holds,
          reservation,
          c,
          r.o.perSlot ? undefined : locator,
        );
        const reply = await r.run('reserve', tags, true, c, args);
        placeValues(counters, reply[3] as unknown[], tags, groups);
        if (reply[0] === 'fail') {
          await this.#undo(reservation.id, placed, c);
          const failed = (reply[4] as number[]).map((k) => indexAt(tags, groups, Number(k) - 1));
          const have = new Set(tags.flatMap((t) => groups.get(t) ?? []));
          const now = have.size === holds.length ? counters : await r.read(refs);
          return { ok: false, failed, counters: now.map((v, i) => (have.has(i) ? counters[i]! : v)) };
        }
        if (reply[0] === 'replay') {
          await this.#undo(reservation.id, placed, c);
          const prior = this.#rebuild(reply[4], reply[5], reply[6]);
          return { ok: true, reservation: prior, counters: await r.read(refs), replayed: true };
        }
        placed.push(...tags);
      }
      if (r.o.perSlot) await r.client.set(locator[0], locator[1], 'PX', reservationTtl(reservation, c));
    } catch (e) {
      if (placed.length > 0) await this.#undo(reservation.id, placed, c).catch(() => {});
      throw asStoreError(e);
    }
    this.#remember(reservation.id, loc);
    return { ok: true, reservation, counters, replayed: false };
  }

  /** Compensation of a per-section reserve: drops the holds placed in earlier sections. */
  async #undo(id: string, tags: readonly string[], c: Clock): Promise<void> {
    for (const tag of tags) await this.#r.run('release', [tag], true, c, releaseArgs([tag], '', id, 'undo'));
  }

  async commit(reservationId: string, item: RecordItem, loc: Located): Promise<CommitOutcome> {
    const r = this.#r;
    const c = r.clock();
    const rec = recordTag(item);
    const refs = item.increments.map((i) => i.counter);
    const groups = byTag(refs, loc.tags);
    if (!groups.has(rec)) groups.set(rec, []);
    // The global section first, the record's, the reservation's own last (it says what happened).
    const rest = [...groups.keys()].filter((t) => t !== rec && t !== loc.home);
    const order = [...rest, ...(rec === loc.home ? [] : [rec]), loc.home];
    await r.index(refs, c);
    const counters: CounterValue[] = new Array(item.increments.length);
    let last: unknown[] = [];
    for (const tags of calls(order, r.o.perSlot)) {
      const args = commitArgs(tags, loc.home, rec, groups, reservationId, item, c);
      last = await r.run('commit', tags, true, c, args);
      if (last[0] === 'not_found') return { status: 'not_found' };
      placeValues(counters, last[3] as unknown[], tags, groups);
    }
    const reservation = this.#rebuild(last[4], last[5], last[6]);
    const status = last[0] as 'committed' | 'late' | 'duplicate';
    if (status !== 'late') this.#located.delete(reservationId);
    return { status, reservation, counters };
  }

  async release(reservationId: string, state: 'released' | 'expired'): Promise<Reservation | undefined> {
    const loc = await this.locate(reservationId);
    if (!loc) return undefined;
    const c = this.#r.clock();
    let first: unknown[] | undefined;
    try {
      for (const tags of calls(loc.tags, this.#r.o.perSlot)) {
        const reply = await this.#r.run(
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

  async get(id: string): Promise<Reservation | undefined> {
    const loc = await this.locate(id);
    if (!loc) return undefined;
    const [j, st, rec] = await this.#r.client.hmget(this.#r.keys.reservation(loc.home, id), 'j', 'st', 'rec');
    return j === null ? undefined : this.#rebuild(j, st, rec);
  }

  /** Reservation ids holding in each section: all of them, or those expired by `until`. */
  async #scanHolds(until: number | undefined): Promise<Map<string, string[]>> {
    const { client, keys, meta } = this.#r;
    const tags = await meta.tags();
    const lists = await Promise.all(
      tags.map((t) =>
        until === undefined
          ? client.zrange(keys.holds(t), '0', '-1')
          : client.zrangebyscore(keys.holds(t), '-inf', String(until)),
      ),
    );
    return new Map(tags.map((t, i) => [t, lists[i]!]));
  }

  async active(): Promise<Reservation[]> {
    const out: Reservation[] = [];
    const { client, keys } = this.#r;
    for (const [tag, ids] of await this.#scanHolds(undefined)) {
      const rows = await Promise.all(
        ids.map((id) => client.hmget(keys.reservation(tag, id), 'j', 'st', 'rec')),
      );
      for (const [j, st, rec] of rows) if (j !== null && st === 'active') out.push(this.#rebuild(j, st, rec));
    }
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }

  async expired(now: number): Promise<string[]> {
    const ids = new Set<string>();
    for (const list of (await this.#scanHolds(now)).values()) for (const id of list) ids.add(id);
    return [...ids];
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
