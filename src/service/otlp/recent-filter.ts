import type { RecentIds } from '../../store/recent-ids.ts';

/**
 * A Bloom filter (two bits per id) in front of a RecentIds window, so that the usual
 * lookup — an id the window does not hold — costs a few character reads and two bit tests
 * instead of a `${traceId}:${spanId}` string and its 96-bit fingerprint. An id is given as
 * its two parts and hashed from the last characters of each (span and trace ids are random).
 *
 * No false negatives: every id the window claimed is in the filter for at least as long as
 * the window keeps it. The window forgets an id once `capacity` newer ids were claimed;
 * the filter has two generations of `capacity` claims each, the older dropped when the newer
 * fills, so an id leaves the filter only after `capacity` newer claims. A false positive
 * (about 1% with a full window) only means the window is asked.
 */

/** Bits per generation: 2^22 (512 KiB), about 20 per id of a 200k-id window. */
const BITS_LOG2 = 22;
const WORDS = 1 << (BITS_LOG2 - 5);
const SHIFT = 32 - BITS_LOG2;

/** FNV-style mix of the last `take` characters of `s` into `h`. */
function mixTail(h: number, s: string, take: number): number {
  for (let i = Math.max(0, s.length - take); i < s.length; i++)
    h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

export class FilteredIds {
  readonly ids: RecentIds;
  #current: Int32Array | undefined;
  #previous: Int32Array | undefined;
  /** Claims in the current generation. */
  #claims = 0;
  // The two bit positions of the last id hashed (no allocation per call).
  #b1 = 0;
  #b2 = 0;

  constructor(ids: RecentIds) {
    this.ids = ids;
  }

  #hash(traceId: string, spanId: string): void {
    let h = mixTail(0x811c9dc5 ^ spanId.length, spanId, 6);
    h = mixTail(h ^ (traceId.length << 8), traceId, 3);
    this.#b1 = h >>> SHIFT;
    this.#b2 = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> SHIFT;
  }

  static #hasBits(bits: Int32Array | undefined, b1: number, b2: number): boolean {
    return (
      bits !== undefined &&
      (bits[b1 >>> 5]! & (1 << (b1 & 31))) !== 0 &&
      (bits[b2 >>> 5]! & (1 << (b2 & 31))) !== 0
    );
  }

  /** True when the window holds `${traceId}:${spanId}`. */
  has(traceId: string, spanId: string): boolean {
    this.#hash(traceId, spanId);
    if (
      !FilteredIds.#hasBits(this.#current, this.#b1, this.#b2) &&
      !FilteredIds.#hasBits(this.#previous, this.#b1, this.#b2)
    )
      return false;
    return this.ids.has(`${traceId}:${spanId}`);
  }

  /** Adds `${traceId}:${spanId}` to the window (RecentIds.claim); true when it was new. */
  claim(traceId: string, spanId: string): boolean {
    if (!this.ids.claim(`${traceId}:${spanId}`)) return false;
    if (this.#current === undefined || this.#claims >= this.ids.capacity) {
      // Everything claimed before the current generation has left the window by now.
      const reuse = this.#previous;
      this.#previous = this.#current;
      this.#current = reuse === undefined ? new Int32Array(WORDS) : reuse.fill(0);
      this.#claims = 0;
    }
    this.#hash(traceId, spanId);
    const bits = this.#current;
    bits[this.#b1 >>> 5]! |= 1 << (this.#b1 & 31);
    bits[this.#b2 >>> 5]! |= 1 << (this.#b2 & 31);
    this.#claims++;
    return true;
  }
}
