import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FilteredIds } from '../../../src/service/otlp/recent-filter.ts';
import { RecentIds } from '../../../src/store/recent-ids.ts';

/** The Bloom filter in front of a RecentIds window must never hide an id the window holds. */

const id = () => [randomBytes(16).toString('hex'), randomBytes(8).toString('hex')] as const;

describe('FilteredIds', () => {
  it('answers as the window does, across many generations', () => {
    const capacity = 64;
    const window = new RecentIds(capacity);
    const filtered = new FilteredIds(new RecentIds(capacity));
    const seen: (readonly [string, string])[] = [];
    for (let i = 0; i < 2000; i++) {
      // Some ids come back (retries), most are new.
      const next = i % 7 === 3 && seen.length > 0 ? seen[(i * 31) % seen.length]! : id();
      seen.push(next);
      expect(filtered.claim(...next)).toBe(window.claim(`${next[0]}:${next[1]}`));
      for (const probe of [next, seen[(i * 13) % seen.length]!, id()])
        expect(filtered.has(...probe)).toBe(window.has(`${probe[0]}:${probe[1]}`));
    }
  });

  it('keeps the last `capacity` ids and forgets older ones', () => {
    const filtered = new FilteredIds(new RecentIds(10));
    const ids = Array.from({ length: 25 }, id);
    for (const x of ids) expect(filtered.claim(...x)).toBe(true);
    for (const x of ids.slice(15)) expect(filtered.has(...x)).toBe(true);
    for (const x of ids.slice(0, 15)) expect(filtered.has(...x)).toBe(false);
    expect(filtered.claim(...ids[24]!)).toBe(false);
  });
});
