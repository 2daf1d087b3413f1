import type { CounterRef } from './store.ts';

/**
 * The Redis key layout. Every key sits in a "section" named by a hash tag, so a Lua
 * script that touches only one section's keys stays on one Cluster slot:
 *
 *   {t:<tenant>}  counters of budgets that never span tenants (grouped by tenant, or
 *                 selecting one tenant), the tenant's reservations, holds, usage records
 *   {g}           counters of budgets that span tenants (global caps)
 *   {m}           budgets, overrides, audit, snapshots, marks, cursors, the generation,
 *                 and the indexes readers use to find the other sections
 *   {l:<id>}      where reservation <id> lives (its home section), for replicas that did
 *                 not make it
 *
 * Inside a section `P:{tag}:` the scripts build the rest: `g` (generation marker),
 * `c:<counter key>` (hash u = used, r = reserved), `h` (zset of reservations holding
 * here, by expiry), `r:<id>` (reservation), `i:<idempotency key>`, `d:<record id>`
 * (record counted here), `l:<day>` (usage records of a UTC day), `ld` (days present),
 * `s` (stats: holds expired).
 */
export const GLOBAL_TAG = 'g';
export const META_TAG = 'm';

/** Braces would end or open a hash tag early; % escapes itself. */
function escapeTag(s: string): string {
  return s.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
}

const TAGS = new Map<string, string>();

/** The section of a tenant (cached: the hot path asks for the same few tenants again and again). */
export function tenantTag(tenant: string | undefined): string {
  const t = tenant ?? '';
  let tag = TAGS.get(t);
  if (tag === undefined) {
    if (TAGS.size >= 100_000) TAGS.clear();
    tag = `t:${escapeTag(t)}`;
    TAGS.set(t, tag);
  }
  return tag;
}

/** The section a counter lives in. */
export function counterTag(ref: CounterRef): string {
  return ref.tenant === undefined ? GLOBAL_TAG : tenantTag(ref.tenant);
}

export class KeyLayout {
  readonly prefix: string;

  constructor(prefix: string) {
    if (/[{}]/.test(prefix)) throw new Error('the Redis key prefix must not contain braces');
    this.prefix = prefix;
  }

  /** `P:{tag}:`, the start of every key of a section. */
  section(tag: string): string {
    return `${this.prefix}:{${tag}}:`;
  }

  /** The generation marker: the one key of a section a script declares. */
  marker(tag: string): string {
    return `${this.section(tag)}g`;
  }

  counter(tag: string, counterKey: string): string {
    return `${this.section(tag)}c:${counterKey}`;
  }

  reservation(tag: string, id: string): string {
    return `${this.section(tag)}r:${id}`;
  }

  holds(tag: string): string {
    return `${this.section(tag)}h`;
  }

  ledger(tag: string, day: number): string {
    return `${this.section(tag)}l:${day}`;
  }

  ledgerDays(tag: string): string {
    return `${this.section(tag)}ld`;
  }

  stats(tag: string): string {
    return `${this.section(tag)}s`;
  }

  locator(id: string): string {
    return `${this.prefix}:{l:${escapeTag(id)}}`;
  }

  /** A key of the meta section. */
  meta(name: string): string {
    return `${this.section(META_TAG)}${name}`;
  }

  /** The counter keys of one budget period, across sections (for listCounters). */
  counterIndex(budgetId: string, periodStart: number): string {
    return this.meta(`ci:${budgetId}:${periodStart}`);
  }

  /** The counter key (`budget\0group\0periodStart`) back from a Redis counter key. */
  counterKeyOf(redisKey: string): string {
    return redisKey.slice(redisKey.indexOf('}:c:') + 4);
  }

  /** The tag back from any key of a section. */
  tagOf(redisKey: string): string {
    const open = redisKey.indexOf('{');
    return redisKey.slice(open + 1, redisKey.indexOf('}', open));
  }
}

// ---- Cluster slots: CRC16/XMODEM of the hash tag (or the whole key), modulo 16384 ----

const CRC_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) crc = ((crc << 8) & 0xffff) ^ CRC_TABLE[((crc >> 8) ^ b) & 0xff]!;
  return crc;
}

/** The Cluster slot of a key, with Redis's hash-tag rule (first `{`, next `}`, non-empty). */
export function keySlot(key: string): number {
  const bytes = Buffer.from(key, 'utf8');
  const open = bytes.indexOf(0x7b);
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) return crc16(bytes.subarray(open + 1, close)) % 16384;
  }
  return crc16(bytes) % 16384;
}
