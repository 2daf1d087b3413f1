import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { USAGE_GROUP_FIELDS, type UsageGroupField } from '../../src/store/store.ts';
import type { PricedRecord } from '../../src/usage/usage-record.ts';
import { cost, item, priced, T0 } from './fixtures.ts';

/**
 * The SQL usage queries against the memory store's in-process ones over many random
 * records and queries: same records, same groups, same sums, same order.
 */

/** A small deterministic PRNG (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = rng(20260115);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const maybe = <T>(x: T): T | undefined => (rand() < 0.5 ? x : undefined);

function randomRecord(i: number): PricedRecord {
  const scope: Record<string, string> = {};
  for (const label of ['tenant', 'project', 'agent', 'session', 'team', 'env']) {
    const v = maybe(pick(['a', 'b', 'c']));
    if (v) scope[label] = `${label}-${v}`;
  }
  const input = Math.floor(rand() * 5000);
  const output = Math.floor(rand() * 2000);
  const unpriced = rand() < 0.1;
  return priced(`r${i}`, {
    time: T0 + Math.floor(rand() * 1000),
    provider: pick(['openai', 'anthropic', 'gcp.gemini']),
    operation: pick(['chat', 'embeddings']),
    requestModel: pick(['m1', 'm2', 'm3']),
    responseModel: maybe(pick(['m1-2026', 'm2-2026'])),
    toolName: maybe(pick(['search', 'code'])),
    errorType: rand() < 0.1 ? 'timeout' : undefined,
    usageSource: rand() < 0.05 ? 'missing' : 'provider',
    scope,
    usage: {
      input,
      output,
      cacheRead: Math.floor(input / 3),
      cacheWrite: 0,
      cacheWrite1h: 0,
      reasoning: Math.floor(output / 4),
    },
    durationMs: Math.floor(rand() * 10_000),
    cost: unpriced ? cost(0, { unpriced: true, source: 'unpriced' }) : cost(Math.floor(rand() * 1e7)),
  });
}

describe('SQLite usage queries match the memory store', () => {
  const memory = new MemoryStore();
  let dir: string;
  let sqlite: SqliteStore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bursar-parity-'));
    sqlite = new SqliteStore({ path: join(dir, 'bursar.db') });
    await sqlite.init();
    const items = Array.from({ length: 2000 }, (_, i) => item(randomRecord(i)));
    for (let i = 0; i < items.length; i += 100) {
      const chunk = items.slice(i, i + 100);
      await Promise.all([memory.record(chunk), sqlite.record(chunk)]);
    }
  });
  afterAll(async () => {
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('for random group-bys, filters and time ranges', async () => {
    const filterFields = [...USAGE_GROUP_FIELDS, 'team', 'env'];
    let nonEmpty = 0;
    for (let n = 0; n < 150; n++) {
      const groupBy = USAGE_GROUP_FIELDS.filter(() => rand() < 0.25) as UsageGroupField[];
      const filter: Record<string, string> = {};
      if (rand() < 0.5) {
        const f = pick(filterFields);
        const sample = randomRecord(-1);
        filter[f] =
          f === 'model'
            ? pick(['m1', 'm2', 'm1-2026'])
            : f === 'provider'
              ? sample.provider
              : f === 'tool'
                ? pick(['search', 'code', ''])
                : f === 'operation'
                  ? sample.operation
                  : pick([`${f}-a`, `${f}-b`, '']);
      }
      const from = T0 + Math.floor(rand() * 500);
      const to = from + Math.floor(rand() * 700);
      const q = { from, to, groupBy, filter };
      const expected = await memory.aggregateUsage(q);
      expect(await sqlite.aggregateUsage(q)).toEqual(expected);
      if (expected.length > 1) nonEmpty += 1;
      const limit = rand() < 0.5 ? Math.floor(rand() * 50) : undefined;
      const rq = { from, to, filter, limit };
      expect(await sqlite.queryUsage(rq)).toEqual(await memory.queryUsage(rq));
    }
    // Not a vacuous comparison: most queries found several groups.
    expect(nonEmpty).toBeGreaterThan(50);
  });
});
