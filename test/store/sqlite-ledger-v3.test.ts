import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, SCHEMA_VERSION, schemaVersion } from '../../src/store/sqlite-schema.ts';
import { SqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite-store.ts';
import { USAGE_COLUMNS, usageRowValues } from '../../src/store/sqlite-usage-row.ts';
import type { PricedRecord } from '../../src/usage/usage-record.ts';
import { cost, item, priced, ref, T0 } from './fixtures.ts';

let dir: string;
let path: string;
const opened: SqliteStore[] = [];

async function openStore(options: SqliteStoreOptions = {}): Promise<SqliteStore> {
  const store = new SqliteStore({ path, ...options });
  await store.init();
  opened.push(store);
  return store;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bursar-ledger-'));
  path = join(dir, 'bursar.db');
});
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

const a = ref('a');
const everything = { from: 0, to: T0 + 1_000_000 };

describe('SQLite ledger: the dedupe window', () => {
  it('is rebuilt from the newest rows when the store reopens: a re-sent record is still a duplicate', async () => {
    const s1 = await openStore();
    await s1.record([item(priced('trace-1:span-1'), [[a, 10]]), item(priced('trace-1:span-2'), [[a, 5]])]);
    await s1.close();
    opened.splice(0);

    const s2 = await openStore();
    const again = await s2.record([
      item(priced('trace-1:span-2'), [[a, 5]]),
      item(priced('trace-1:span-3'), [[a, 1]]),
    ]);
    expect(again.map((o) => o.duplicate)).toEqual([true, false]);
    expect((await s2.getCounters([a]))[0]).toEqual({ used: 16, reserved: 0 });
    expect((await s2.queryUsage(everything)).map((r) => r.id)).toEqual([
      'trace-1:span-1',
      'trace-1:span-2',
      'trace-1:span-3',
    ]);
  });

  it('holds the last `dedupeWindow` ids: an id re-sent after that many newer ones counts again, in the ledger and the counters alike', async () => {
    const s = await openStore({ dedupeWindow: 3 });
    for (const id of ['r1', 'r2', 'r3', 'r4']) await s.record([item(priced(id), [[a, 1]])]);
    const [r1, r3] = await s.record([item(priced('r1'), [[a, 1]]), item(priced('r3'), [[a, 1]])]);
    expect(r1!.duplicate).toBe(false);
    expect(r3!.duplicate).toBe(true);
    expect((await s.getCounters([a]))[0]!.used).toBe(5);
    expect(await s.queryUsage(everything)).toHaveLength(5);

    // Reopened with the same window, the newest three rows (r3, r4, r1) are the window.
    await s.close();
    opened.splice(0);
    const s2 = await openStore({ dedupeWindow: 3 });
    const again = await s2.record(['r3', 'r4', 'r1', 'r2'].map((id) => item(priced(id), [[a, 1]])));
    expect(again.map((o) => o.duplicate)).toEqual([true, true, true, false]);
  });
});

describe('SQLite ledger: schema v3', () => {
  it('stores each distinct label combination once and reads records back exactly', async () => {
    const s = await openStore();
    const records = Array.from({ length: 60 }, (_, i) =>
      priced(`id-${i}`, {
        time: T0 + i,
        scope: { tenant: `t${i % 3}`, agent: 'a', ...(i % 7 === 0 ? { 'team.name': 'x"y\u0000' } : {}) },
        cost: cost(1000 + i, i % 10 === 0 ? { providerNanoUsd: 7 } : {}),
        ...(i % 5 === 0 ? { errorType: 'timeout' } : {}),
      }),
    );
    await s.record(records.map((r) => item(r)));
    expect(await s.queryUsage(everything)).toEqual(records);
    await s.close();
    opened.splice(0);
    const db = new Database(path, { readonly: true });
    // 3 tenants × (with/without the custom label) × (with/without an error), as the data has them.
    const distinct = db
      .prepare('SELECT COUNT(*) FROM (SELECT DISTINCT tenant, scope, error_type FROM usage_dims)')
      .pluck()
      .get();
    expect(db.prepare('SELECT COUNT(*) FROM usage_dims').pluck().get()).toBe(distinct);
    expect(db.prepare('SELECT COUNT(*) FROM usage_rows').pluck().get()).toBe(60);
    db.close();
  });

  it('gives a record that differs from the one before in any single label its own labels', async () => {
    const s = await openStore();
    const base = priced('p0', { scope: { tenant: 'acme', agent: 'a' } });
    const variants: Partial<PricedRecord>[] = [
      {},
      { scope: { agent: 'a', tenant: 'acme' } }, // same labels, other key order
      { provider: 'anthropic' },
      { operation: 'embeddings' },
      { requestModel: 'gpt-5.5-mini' },
      { responseModel: 'gpt-5.5-2026-01' },
      { toolName: 'search' },
      { toolName: '' },
      { errorType: 'timeout' },
      { usageSource: 'missing' },
      { cost: cost(1000, { source: 'provider' }) },
      { cost: cost(1000, { unpriced: true }) },
      { cost: cost(1000, { catalogVersion: 'other' }) },
      { cost: cost(1000, { priceModel: 'gpt-5.5-mini' }) },
      { cost: cost(1000, { tierAboveInputTokens: 200_000 }) },
      { scope: { tenant: 'acme', agent: 'b' } },
      { scope: { tenant: 'acme', agent: 'a', session: 's' } },
      { scope: { tenant: 'acme' } },
    ];
    // Each variant after the base record, then the base again: both must read back as written.
    const records = variants.flatMap((v, i) => [
      { ...base, id: `v${i}`, time: T0 + 2 * i, ...v },
      { ...base, id: `b${i}`, time: T0 + 2 * i + 1 },
    ]);
    await s.record(records.map((r) => item(r)));
    expect(await s.queryUsage(everything)).toEqual(records);
  });

  it('upgrades a version-2 file: every record keeps its values, and the old ids stay deduped', async () => {
    const old = [
      priced('old-1', { time: T0 }),
      priced('old-2', { time: T0 + 1, scope: { tenant: 'acme', session: 's-1' }, toolName: '' }),
      priced('old-3', { time: T0 + 2, responseModel: 'gpt-5.5-2026-01', errorType: 'rate_limit' }),
    ];
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    migrate(db, path, 2);
    expect(schemaVersion(db)).toBe(2);
    const insert = db.prepare(
      `INSERT INTO usage (${USAGE_COLUMNS.join(', ')}) VALUES (${USAGE_COLUMNS.map(() => '?').join(', ')})`,
    );
    for (const r of old) insert.run(usageRowValues(r));
    db.close();

    const s = await openStore();
    expect(await s.queryUsage(everything)).toEqual(old);
    const outcomes = await s.record([item(priced('old-2')), item(priced('new-1', { time: T0 + 3 }))]);
    expect(outcomes.map((o) => o.duplicate)).toEqual([true, false]);
    const byProject = await s.aggregateUsage({ ...everything, groupBy: ['project', 'session'] });
    expect(byProject.map((g) => [g.group, g.calls])).toEqual([
      [{ project: 'web', session: '' }, 3],
      [{ project: '', session: 's-1' }, 1],
    ]);
    await s.close();
    opened.splice(0);
    const check = new Database(path, { readonly: true });
    expect(schemaVersion(check)).toBe(SCHEMA_VERSION);
    check.close();
  });
});
