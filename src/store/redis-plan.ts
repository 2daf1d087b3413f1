import { counterTag, tenantTag } from './redis-keys.ts';
import type { CounterRef, CounterValue, HoldSpec, RecordItem, Reservation } from './store.ts';

/**
 * Which sections (hash tags) an operation touches, in which order they are called when
 * each section is its own script call (Cluster), and the ARGV each call carries.
 *
 * On one Redis every section goes into one script call: all or nothing across tenants
 * and global caps alike. On a Cluster a call cannot cross slots, so an operation that
 * touches a tenant section and the global section runs as one call per section:
 *
 * - reserve: the other sections first, the home section (the reservation itself) last;
 *   a section that denies or fails undoes the holds placed before it. Until the undo,
 *   those holds can make a concurrent call see less headroom (a spurious deny), never
 *   more: holds only ever go in under their cap. A replica dying in between leaves the
 *   holds to expire with the reservation's TTL (pruned by the scripts, counted).
 * - commit and record: the global section first, the tenant's record last. Each section
 *   counts a record id once (its own `d:<id>` mark), so a retry after a failure in
 *   between completes the rest without counting anything twice.
 * - release: the home section first (it decides), then the others.
 */

const DAY_MS = 86_400_000;

export function homeTag(reservation: Reservation, holds: readonly HoldSpec[]): string {
  const tenantHold = holds.find((h) => h.counter.tenant !== undefined);
  if (tenantHold) return counterTag(tenantHold.counter);
  if (holds.length > 0) return counterTag(holds[0]!.counter);
  return tenantTag(reservation.request.scope.tenant);
}

export function recordTag(item: RecordItem): string {
  return tenantTag(item.record.scope.tenant);
}

/** Groups indices by the section of their counter, first-seen order. */
export function byTag(refs: readonly CounterRef[], extra: readonly string[] = []): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const t of extra) out.set(t, []);
  refs.forEach((ref, i) => {
    const tag = counterTag(ref);
    let list = out.get(tag);
    if (!list) out.set(tag, (list = []));
    list.push(i);
  });
  return out;
}

/** Calls to make: one with every section, or one per section in the given order. */
export function calls(order: readonly string[], perSlot: boolean): string[][] {
  return perSlot ? order.map((t) => [t]) : [[...order]];
}

/** Per-call time-dependent values (relative TTLs: a test's clock may be far from Redis's). */
export interface Clock {
  now: number;
  counterGraceMs: number;
  usageRetentionMs: number;
  reservationRetentionMs: number;
}

/** '' when the counter never expires (period `total`, or an end the engine did not give). */
export function counterTtl(ref: CounterRef, c: Clock): string {
  const end = ref.periodEnd;
  if (end === undefined || !Number.isFinite(end)) return '';
  return String(Math.max(0, end - c.now) + c.counterGraceMs + 1);
}

export function reservationTtl(r: Reservation, c: Clock): number {
  return Math.max(0, r.expiresAt - c.now) + c.reservationRetentionMs + 1000;
}

/** The ledger arguments of one record: id, member, time, day, ledger ttl, dedupe ttl, keep-days-from. */
export function ledgerArgs(item: RecordItem, c: Clock): (string | number)[] {
  const r = item.record;
  const day = Math.floor(r.time / DAY_MS) * DAY_MS;
  const ledgerTtl = Math.max(0, day + DAY_MS - c.now) + c.usageRetentionMs;
  const keepFrom = c.now - c.usageRetentionMs - DAY_MS;
  return [r.id, JSON.stringify(r), r.time, day, ledgerTtl, c.usageRetentionMs, keepFrom];
}

export function reserveArgs(
  tags: readonly string[],
  home: string,
  groups: Map<string, number[]>,
  holds: readonly HoldSpec[],
  r: Reservation,
  c: Clock,
  locator: [key: string, value: string] | undefined,
): (string | number)[] {
  const ttl = reservationTtl(r, c);
  const args: (string | number)[] = [
    r.id,
    r.expiresAt,
    ttl,
    r.idempotencyKey ?? '',
    JSON.stringify(r),
    locator?.[0] ?? '',
    locator?.[1] ?? '',
  ];
  for (const tag of tags) {
    const idx = groups.get(tag) ?? [];
    const hs: (string | number)[] = [];
    for (const i of idx) hs.push(holds[i]!.counter.key, String(holds[i]!.amount));
    args.push(tag === home ? '1' : '0', JSON.stringify(hs), idx.length);
    for (const i of idx) {
      const h = holds[i]!;
      args.push(h.counter.key, h.amount, Number.isFinite(h.cap) ? h.cap : '', counterTtl(h.counter, c));
    }
  }
  return args;
}

export function commitArgs(
  tags: readonly string[],
  home: string,
  record: string,
  groups: Map<string, number[]>,
  reservationId: string,
  item: RecordItem,
  c: Clock,
): (string | number)[] {
  const args: (string | number)[] = [reservationId, ...ledgerArgs(item, c)];
  for (const tag of tags) {
    const idx = groups.get(tag) ?? [];
    args.push(tag === home ? '1' : '0', tag === record ? '1' : '0', idx.length);
    for (const i of idx) {
      const inc = item.increments[i]!;
      args.push(inc.counter.key, inc.used, counterTtl(inc.counter, c));
    }
  }
  return args;
}

export function releaseArgs(
  tags: readonly string[],
  home: string,
  id: string,
  state: string,
): (string | number)[] {
  return [id, state, ...tags.map((t) => (t === home ? '1' : '0'))];
}

export function readArgs(
  tags: readonly string[],
  groups: Map<string, number[]>,
  refs: readonly CounterRef[],
) {
  const args: (string | number)[] = [];
  for (const tag of tags) {
    const idx = groups.get(tag) ?? [];
    args.push(idx.length, ...idx.map((i) => refs[i]!.key));
  }
  return args;
}

/** The items of a record() call that have a part in these sections, and the ARGV for them. */
export function recordArgs(
  tags: readonly string[],
  items: readonly RecordItem[],
  c: Clock,
  cursors: readonly (readonly [string, string])[],
  cursorKey: string,
): { args: (string | number)[]; sent: number[] } {
  const pos = new Map(tags.map((t, i) => [t, i + 1]));
  const args: (string | number)[] = [cursors.length > 0 ? cursorKey : '', cursors.length];
  for (const [k, v] of cursors) args.push(k, v);
  const sent: number[] = [];
  const body: (string | number)[] = [];
  items.forEach((item, i) => {
    const recS = pos.get(recordTag(item)) ?? 0;
    const incs: (string | number)[] = [];
    let n = 0;
    for (const inc of item.increments) {
      const s = pos.get(counterTag(inc.counter));
      if (s === undefined) continue;
      incs.push(s, inc.counter.key, inc.used, counterTtl(inc.counter, c));
      n += 1;
    }
    if (recS === 0 && n === 0) return;
    sent.push(i);
    body.push(...ledgerArgs(item, c), recS, n, ...incs);
  });
  args.push(sent.length, ...body);
  return { args, sent };
}

/** Flat [u, r, u, r, ...] from a script into counter values at their original indices. */
export function placeValues(
  out: CounterValue[],
  flat: readonly unknown[],
  tags: readonly string[],
  groups: Map<string, number[]>,
): void {
  let k = 0;
  for (const tag of tags) {
    for (const i of groups.get(tag) ?? []) {
      out[i] = { used: Number(flat[2 * k]), reserved: Number(flat[2 * k + 1]) };
      k += 1;
    }
  }
}

/** The sections of a record item's increments that are in `tags`, with their values. */
export function placeItemValues(
  out: CounterValue[],
  flat: readonly unknown[],
  item: RecordItem,
  tags: readonly string[],
): void {
  const inCall = new Set(tags);
  let k = 0;
  item.increments.forEach((inc, i) => {
    if (!inCall.has(counterTag(inc.counter))) return;
    out[i] = { used: Number(flat[2 * k]), reserved: Number(flat[2 * k + 1]) };
    k += 1;
  });
}
