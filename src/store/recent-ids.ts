import { randomBytes } from 'node:crypto';

/**
 * The dedupe window: the last `capacity` record ids accepted, in a fixed amount of
 * memory (about 20 bytes per id: a 96-bit fingerprint in a ring, plus an open-addressing
 * index of ring slots). Ids older than the window are forgotten, oldest first. About 21 bytes per id.
 *
 * Why fingerprints and not the ids: an OTLP id is 49 characters (trace:span), ~100 bytes
 * in a Set; a million of them would cost 100 MB. A 96-bit fingerprint keyed with random
 * per-process seeds mistakes one id for another with probability about capacity / 2^96
 * per lookup (1.3e-23 for a million ids), and the keys make collisions impossible to craft
 * without reading this process's memory.
 *
 * Why a window and not a unique index on the ledger: ids are random, so a unique b-tree
 * over every id ever written takes a random page write per record once it outgrows the
 * cache (measured 23–29 µs per row against 6 µs without it), and the ledger grows forever.
 * Exporters re-send within seconds to minutes; the window covers that many records.
 */
export class RecentIds {
  readonly capacity: number;
  /** Ring of fingerprints, 3 lanes per slot, oldest at #head once full. */
  readonly #ring: Int32Array;
  /** 1 while a ring slot's id is indexed; 0 once deleted (or never used). */
  readonly #live: Uint8Array;
  /** Open addressing, linear probing: ring slot + 1, 0 = empty. */
  readonly #index: Int32Array;
  readonly #mask: number;
  readonly #seeds: Int32Array;
  #size = 0;
  #head = 0;
  // The fingerprint of the last id hashed, as three lanes (no allocation per call).
  #f0 = 0;
  #f1 = 0;
  #f2 = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`the dedupe window must hold at least 1 id, got ${capacity}`);
    }
    this.capacity = capacity;
    this.#ring = new Int32Array(capacity * 3);
    this.#live = new Uint8Array(capacity);
    let buckets = 2;
    while (buckets < capacity * 2) buckets *= 2;
    this.#index = new Int32Array(buckets);
    this.#mask = buckets - 1;
    this.#seeds = new Int32Array(randomBytes(12).buffer);
  }

  get size(): number {
    return this.#size;
  }

  has(id: string): boolean {
    this.#fingerprint(id);
    return this.#find() >= 0;
  }

  /**
   * Adds `id` unless present: true when it was new. The oldest id is forgotten when the
   * window is full. One hash for the check and the insert.
   */
  claim(id: string): boolean {
    this.#fingerprint(id);
    if (this.#find() >= 0) return false;
    const slot = this.#head;
    if (this.#size === this.capacity) {
      if (this.#live[slot] === 1) this.#unindex(slot);
    } else this.#size += 1;
    const ring = this.#ring;
    ring[slot * 3] = this.#f0;
    ring[slot * 3 + 1] = this.#f1;
    ring[slot * 3 + 2] = this.#f2;
    this.#live[slot] = 1;
    const index = this.#index;
    let b = this.#f0 & this.#mask;
    while (index[b] !== 0) b = (b + 1) & this.#mask;
    index[b] = slot + 1;
    this.#head = slot + 1 === this.capacity ? 0 : slot + 1;
    return true;
  }

  /** Forgets `id` (a write that claimed it failed). Its ring slot stays used until its turn comes. */
  delete(id: string): boolean {
    this.#fingerprint(id);
    const b = this.#find();
    if (b < 0) return false;
    const slot = this.#index[b]! - 1;
    this.#unindex(slot);
    this.#live[slot] = 0;
    return true;
  }

  /** The bucket holding the last fingerprinted id, or -1. */
  #find(): number {
    const index = this.#index;
    const ring = this.#ring;
    const mask = this.#mask;
    let b = this.#f0 & mask;
    for (;;) {
      const e = index[b]!;
      if (e === 0) return -1;
      const s = (e - 1) * 3;
      if (ring[s] === this.#f0 && ring[s + 1] === this.#f1 && ring[s + 2] === this.#f2) return b;
      b = (b + 1) & mask;
    }
  }

  /** Removes ring slot `slot`'s entry from the index (backward-shift deletion keeps probes exact). */
  #unindex(slot: number): void {
    const index = this.#index;
    const ring = this.#ring;
    const mask = this.#mask;
    let hole = ring[slot * 3]! & mask;
    while (index[hole] !== slot + 1) hole = (hole + 1) & mask;
    let j = hole;
    for (;;) {
      j = (j + 1) & mask;
      const e = index[j]!;
      if (e === 0) break;
      const home = ring[(e - 1) * 3]! & mask;
      // The entry at j may move into the hole only if its home is not cyclically in (hole, j].
      const between = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!between) {
        index[hole] = e;
        hole = j;
      }
    }
    index[hole] = 0;
  }

  /** Three keyed 32-bit lanes over the id's UTF-16 code units, two per step (murmur3-style mixing). */
  #fingerprint(id: string): void {
    const seeds = this.#seeds;
    let h0 = seeds[0]!;
    let h1 = seeds[1]!;
    let h2 = seeds[2]!;
    const n = id.length;
    let i = 0;
    for (; i + 1 < n; i += 2) {
      let k = Math.imul(id.charCodeAt(i) | (id.charCodeAt(i + 1) << 16), 0xcc9e2d51);
      k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
      h0 ^= k;
      h0 = Math.imul((h0 << 13) | (h0 >>> 19), 5) + 0xe6546b64;
      h1 ^= k;
      h1 = Math.imul((h1 << 17) | (h1 >>> 15), 9) + 0x6b43a9b5;
      h2 ^= k;
      h2 = Math.imul((h2 << 11) | (h2 >>> 21), 3) + 0x3c6ef372;
    }
    if (i < n) {
      let k = Math.imul(id.charCodeAt(i), 0xcc9e2d51);
      k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
      h0 ^= k;
      h1 ^= Math.imul(k, 0x9e3779b1);
      h2 ^= Math.imul(k, 0x85ebca77);
    }
    this.#f0 = fmix(h0 ^ n, h1);
    this.#f1 = fmix(h1 ^ n, h2);
    this.#f2 = fmix(h2 ^ n, h0);
  }
}

/** murmur3's finaliser, with a second lane folded in so the three lanes stay distinct. */
function fmix(h: number, other: number): number {
  h ^= other >>> 7;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
