import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecentIds } from '../../src/store/recent-ids.ts';

/** The window as plain data: the last `capacity` ids claimed and not deleted, oldest first. */
class Model {
  readonly #ring: (string | undefined)[] = [];
  readonly capacity: number;
  constructor(capacity: number) {
    this.capacity = capacity;
  }
  has(id: string): boolean {
    return this.#ring.includes(id);
  }
  claim(id: string): boolean {
    if (this.has(id)) return false;
    // A deleted id keeps its ring slot until that slot's turn comes, as in RecentIds.
    if (this.#ring.length === this.capacity) this.#ring.shift();
    this.#ring.push(id);
    return true;
  }
  delete(id: string): boolean {
    const i = this.#ring.indexOf(id);
    if (i < 0) return false;
    this.#ring[i] = undefined;
    return true;
  }
}

describe('RecentIds (the SQLite store dedupe window)', () => {
  it('remembers exactly the last `capacity` ids claimed, oldest forgotten first', () => {
    const w = new RecentIds(3);
    expect([w.claim('a'), w.claim('b'), w.claim('a'), w.claim('c')]).toEqual([true, true, false, true]);
    expect(w.size).toBe(3);
    expect(w.claim('d')).toBe(true); // forgets 'a'
    expect([w.has('a'), w.has('b'), w.has('c'), w.has('d')]).toEqual([false, true, true, true]);
    expect(w.claim('a')).toBe(true); // outside the window: new again, forgets 'b'
    expect(w.has('b')).toBe(false);
  });

  it('forgets a deleted id at once and keeps every other answer', () => {
    const w = new RecentIds(4);
    for (const id of ['a', 'b', 'c']) w.claim(id);
    expect(w.delete('b')).toBe(true);
    expect(w.delete('b')).toBe(false);
    expect([w.has('a'), w.has('b'), w.has('c')]).toEqual([true, false, true]);
    expect(w.claim('b')).toBe(true);
  });

  it('agrees with a plain model over random claims, lookups and deletes (small tables force long probe chains)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('claim' as const), id: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ kind: fc.constant('has' as const), id: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ kind: fc.constant('delete' as const), id: fc.integer({ min: 0, max: 40 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(op, { maxLength: 300 }), (capacity, ops) => {
        const w = new RecentIds(capacity);
        const m = new Model(capacity);
        for (const o of ops) {
          const id = `00f0${o.id}:${'ab'.repeat(o.id % 5)}`;
          expect(w[o.kind](id)).toBe(m[o.kind](id));
        }
      }),
      { numRuns: 400 },
    );
  });

  it('tells a million random trace:span ids apart (no false duplicates) and finds every one', () => {
    const n = 1_000_000;
    const w = new RecentIds(n);
    const hex = (i: number, len: number) => ((i * 2654435761) >>> 0).toString(16).padStart(len, '0');
    const id = (i: number) => `${hex(i, 8)}${hex(i ^ 0x5bd1e995, 24)}:${i.toString(16).padStart(16, '0')}`;
    let fresh = 0;
    for (let i = 0; i < n; i++) if (w.claim(id(i))) fresh += 1;
    expect(fresh).toBe(n);
    let found = 0;
    for (let i = 0; i < n; i += 97) if (w.has(id(i))) found += 1;
    expect(found).toBe(Math.ceil(n / 97));
    expect(w.has(id(n))).toBe(false);
  });

  it('refuses a window that holds nothing', () => {
    expect(() => new RecentIds(0)).toThrow(/at least 1/);
  });
});
