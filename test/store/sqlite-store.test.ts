import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CounterState } from '../../src/store/counter-state.ts';
import { SCHEMA_VERSION } from '../../src/store/sqlite-schema.ts';
import { SqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite-store.ts';
import { audit, budget, DAY, hold, item, override, priced, ref, reservation, T0 } from './fixtures.ts';

const YEARS = 10 * 365 * 86_400_000;

let dir: string;
let path: string;
const opened: SqliteStore[] = [];

async function openStore(options: SqliteStoreOptions = {}): Promise<SqliteStore> {
  const store = new SqliteStore({ path, ...options });
  await store.init();
  opened.push(store);
  return store;
}

/** Everything the working copy holds, as plain data. */
function copyOf(state: CounterState) {
  return {
    counters: new Map([...state.counters].map(([k, v]) => [k, { ...v }])),
    reservations: new Map(state.reservations),
    byIdempotencyKey: new Map(state.byIdempotencyKey),
  };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bursar-sqlite-'));
  path = join(dir, 'nested', 'bursar.db');
});
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

const a = ref('a');
const b = ref('b', 'acme');

describe('SqliteStore persistence', () => {
  it('reopens to exactly the state it closed with', async () => {
    // Expiries in the past relative to the wall clock: a long retention keeps them loaded.
    const s1 = await openStore({ reservationRetentionMs: YEARS });
    await s1.saveBudget(budget('daily'), audit('budget.put', 'daily'));
    await s1.saveBudget(budget('monthly', 99), audit('budget.put', 'monthly'));
    await s1.saveOverride(override('o1', 'daily', { group: 'acme' }), audit('override.set', 'o1'));
    await s1.record([
      item(priced('old-1'), [
        [a, 10],
        [b, 3],
      ]),
      item(priced('old-2', { time: T0 + 5 }), [[a, 7]]),
    ]);
    const h = [hold(a, 100), hold(b, 40)];
    await s1.reserve(reservation('active', h, { idempotencyKey: 'idem-1' }), h);
    await s1.reserve(reservation('done', [hold(a, 5)]), [hold(a, 5)]);
    await s1.commit('done', item(priced('rec-done'), [[a, 4]]));
    await s1.reserve(reservation('gone', [hold(b, 5)]), [hold(b, 5)]);
    await s1.release('gone', 'released');
    await s1.mark('threshold:daily:0.5');
    await s1.saveSnapshots([
      { time: T0, budgetId: 'daily', group: '', periodStart: DAY, used: 21, reserved: 100, limit: 10 },
    ]);

    const before = copyOf(s1.state);
    const usage = await s1.queryUsage({ from: 0, to: T0 + 1000 });
    const budgets = await s1.loadBudgets();
    const overrides = await s1.loadOverrides();
    const auditLog = await s1.listAudit(100);
    const snapshots = await s1.listSnapshots('daily', 0, T0 + 1);
    await s1.close();
    expect(await s1.ready()).toBe(false);

    const s2 = await openStore({ reservationRetentionMs: YEARS });
    expect(copyOf(s2.state)).toEqual(before);
    expect(before.counters.get(a.key)).toMatchObject({ used: 21, reserved: 100 });
    expect((await s2.activeReservations()).map((r) => r.id)).toEqual(['active']);
    expect(await s2.getReservation('active')).toEqual(before.reservations.get('active'));
    expect(await s2.queryUsage({ from: 0, to: T0 + 1000 })).toEqual(usage);
    expect(await s2.loadBudgets()).toEqual(budgets);
    expect(await s2.loadOverrides()).toEqual(overrides);
    expect(await s2.listAudit(100)).toEqual(auditLog);
    expect(await s2.listSnapshots('daily', 0, T0 + 1)).toEqual(snapshots);

    // Dedupe and idempotency survive the restart.
    expect(await s2.record([item(priced('old-1'), [[a, 10]])])).toEqual([
      { duplicate: true, counters: [{ used: 21, reserved: 100 }] },
    ]);
    expect(await s2.mark('threshold:daily:0.5')).toBe(false);
    expect(await s2.reserve(reservation('again', h, { idempotencyKey: 'idem-1' }), h)).toMatchObject({
      ok: true,
      replayed: true,
      reservation: { id: 'active' },
    });
    expect(await s2.commit('done', item(priced('rec-done'), [[a, 4]]))).toMatchObject({
      status: 'duplicate',
    });
    expect(await s2.commit('active', item(priced('old-2'), [[a, 7]]))).toMatchObject({ status: 'committed' });
    expect(await s2.getCounters([a, b])).toEqual([
      { used: 21, reserved: 0 },
      { used: 3, reserved: 0 },
    ]);
  });

  it('records the schema version and refuses a file from a newer bursar', async () => {
    const s = await openStore();
    await s.close();
    const raw = new Database(path);
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    await expect(openStore()).rejects.toThrow(
      `has bursar schema version ${SCHEMA_VERSION + 1}, but this bursar only knows versions up to ${SCHEMA_VERSION}`,
    );
  });

  it('refuses a second store on the same file while the first is open', async () => {
    const first = await openStore();
    const second = new SqliteStore({ path, busyTimeoutMs: 50 });
    await expect(second.init()).rejects.toThrow(/bursar\.db is in use by another bursar process/);
    await first.close();
    await second.init();
    opened.push(second);
    expect(await second.ready()).toBe(true);
  });

  it('rejects operations before init and after close', async () => {
    const s = new SqliteStore({ path });
    await expect(s.record([])).rejects.toThrow(/not open: call init\(\) first/);
    await s.init();
    await s.close();
    await expect(s.mark('x')).rejects.toThrow(/is closed/);
    await expect(s.init()).rejects.toThrow(/is closed/);
  });
});

describe('SqliteStore group commit', () => {
  it('writes many concurrent operations in one transaction and acknowledges them all', async () => {
    const s = await openStore();
    const start = s.flushCount;
    const outcomes = await Promise.all(
      Array.from({ length: 500 }, (_, i) => s.record([item(priced(`r${i}`), [[a, 2]])])),
    );
    expect(s.flushCount - start).toBe(1);
    expect(outcomes.every(([o]) => o?.duplicate === false)).toBe(true);
    expect(await s.getCounters([a])).toEqual([{ used: 1000, reserved: 0 }]);
    expect(await s.queryUsage({ from: 0, to: T0 + 1 })).toHaveLength(500);
  });

  it('writes at once when maxBatch units are queued', async () => {
    const s = await openStore({ maxBatch: 100 });
    const start = s.flushCount;
    // Ten batches fill up and are written without waiting for the (one minute) timer:
    // otherwise this would wait a minute.
    await Promise.all(Array.from({ length: 1000 }, (_, i) => s.record([item(priced(`r${i}`), [[a, 1]])])));
    expect(s.flushCount - start).toBe(10);
  });

  it('acknowledges a duplicate only once the original is durable', async () => {
    const s = await openStore();
    const first = s.record([item(priced('x'), [[a, 1]])]);
    const dup = s.record([item(priced('x'), [[a, 1]])]);
    const start = s.flushCount;
    expect((await dup)[0]?.duplicate).toBe(true);
    expect(s.flushCount - start).toBe(1);
    await first;
  });

  it('lets SQL reads see writes still waiting for their batch', async () => {
    const s = await openStore();
    const pending = s.record([item(priced('x', { scope: { tenant: 'acme', 'odd"label': 'v' } }), [[a, 1]])]);
    const rows = await s.queryUsage({ from: 0, to: T0 + 1, filter: { 'odd"label': 'v' } });
    expect(rows.map((r) => r.id)).toEqual(['x']);
    await pending;
  });

  it('resolves only after the data is in the file: acknowledged writes survive SIGKILL', async () => {
    const child = join(import.meta.dirname, 'sqlite-crash-child.ts');
    const run = spawnSync(process.execPath, [child, path, '300'], { encoding: 'utf8', timeout: 20_000 });
    expect(run.stdout).toContain('acknowledged 300');
    expect(run.signal).toBe('SIGKILL');
    const s = await openStore();
    const ids = new Set((await s.queryUsage({ from: 0, to: T0 + 1 })).map((r) => r.id));
    for (let i = 0; i < 300; i++) expect(ids.has(`rec-${i}`)).toBe(true);
    const [counter] = await s.getCounters([a]);
    // The unacknowledged record may or may not have made it; the acknowledged ones did.
    expect(counter).toEqual({ used: ids.has('unacked') ? 1300 : 300, reserved: 50 });
    expect((await s.activeReservations()).map((r) => r.id)).toEqual(['r1']);
    expect(await s.mark('crash-mark')).toBe(false);
  });
});

describe('SqliteStore failed writes', () => {
  it('rejects the whole batch and reloads memory from the file', async () => {
    const s = await openStore({ reservationRetentionMs: YEARS });
    await s.record([item(priced('base'), [[a, 10]])]);
    await s.reserve(reservation('r0', [hold(a, 5)]), [hold(a, 5)]);
    await s.mark('kept');
    const durable = copyOf(s.state);

    // Every write transaction now throws inside the writer thread, just before commit.
    s.injectWriteFailure('disk on fire');
    const batch = Promise.allSettled([
      s.record([item(priced('lost'), [[a, 7]])]),
      s.reserve(reservation('r1', [hold(b, 3)]), [hold(b, 3)]),
      s.mark('lost-mark'),
      s.commit('r0', item(priced('c0'), [[a, 4]])),
      s.release('r0', 'released'),
    ]);
    // Memory saw every change at once, before the write.
    expect(await s.getCounters([a, b])).toEqual([
      { used: 21, reserved: 0 },
      { used: 0, reserved: 3 },
    ]);
    const settled = await batch;
    expect(settled.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'fulfilled'))).toEqual(
      Array(5).fill('disk on fire'),
    );
    expect(await s.ready()).toBe(false);

    // Memory is back to what the file holds.
    expect(copyOf(s.state)).toEqual(durable);
    expect(await s.getCounters([a, b])).toEqual([
      { used: 10, reserved: 5 },
      { used: 0, reserved: 0 },
    ]);
    expect(await s.getReservation('r0')).toMatchObject({ state: 'active' });
    expect(await s.getReservation('r1')).toBeUndefined();
    expect(await s.queryUsage({ from: 0, to: T0 + 1 })).toHaveLength(1);

    s.injectWriteFailure(undefined);
    // Nothing of the failed batch is remembered: the same writes succeed now.
    expect(await s.record([item(priced('lost'), [[a, 7]])])).toEqual([
      { duplicate: false, counters: [{ used: 17, reserved: 5 }] },
    ]);
    expect(await s.mark('lost-mark')).toBe(true);
    expect(await s.mark('kept')).toBe(false);
    expect(await s.ready()).toBe(true);

    const final = copyOf(s.state);
    await s.close();
    const reopened = await openStore({ reservationRetentionMs: YEARS });
    expect(copyOf(reopened.state)).toEqual(final);
  });
});

describe('SqliteStore pipelined batches', () => {
  it('rejects the batches posted after a failed one, which the writer must not write', async () => {
    const s = await openStore({ maxBatch: 1 });
    // maxBatch 1: each call is posted at once, so all three are in flight together.
    const first = s.record([item(priced('r1'), [[a, 1]])]);
    s.injectWriteFailure('disk on fire');
    const failed = s.record([item(priced('r2'), [[a, 10]])]);
    s.injectWriteFailure(undefined);
    // Prepared from memory that includes r2's increment: writing it would persist used = 111.
    const after = s.record([item(priced('r3'), [[a, 100]])]);
    const settled = await Promise.allSettled([first, failed, after]);
    expect(settled.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'fulfilled'))).toEqual(
      ['fulfilled', 'disk on fire', 'disk on fire'],
    );
    expect(await s.ready()).toBe(false);
    expect(await s.getCounters([a])).toEqual([{ used: 1, reserved: 0 }]);
    expect((await s.queryUsage({ from: 0, to: T0 + 1 })).map((r) => r.id)).toEqual(['r1']);

    // The store recovers: the rejected records are new again, on top of what is durable.
    expect(await s.record([item(priced('r3'), [[a, 100]])])).toEqual([
      { duplicate: false, counters: [{ used: 101, reserved: 0 }] },
    ]);
    expect(await s.ready()).toBe(true);
    const final = copyOf(s.state);
    await s.close();
    const reopened = await openStore();
    expect(copyOf(reopened.state)).toEqual(final);
  });
});

describe('SqliteStore unstorable input', () => {
  it('rejects a call holding a record it cannot store, without touching memory or the batch', async () => {
    const s = await openStore();
    const good = s.record([item(priced('good'), [[a, 1]])]);
    const bad = [item(priced('fine'), [[a, 1]]), item(priced('bad', { time: Number.NaN }), [[a, 1]])];
    await expect(s.record(bad)).rejects.toThrow(/"bad": time must be a finite number/);
    await expect(s.commit('nope', item(priced('bad', { durationMs: Number.NaN })))).rejects.toThrow(
      /durationMs/,
    );
    expect(await good).toEqual([{ duplicate: false, counters: [{ used: 1, reserved: 0 }] }]);
    expect(await s.getCounters([a])).toEqual([{ used: 1, reserved: 0 }]);
    expect(await s.record([item(priced('fine'), [[a, 1]])])).toEqual([
      { duplicate: false, counters: [{ used: 2, reserved: 0 }] },
    ]);
    expect(await s.ready()).toBe(true);
  });
});

describe('SqliteStore reservation retention', () => {
  it('prunes finished reservations after the retention window, in memory and on disk', async () => {
    const s = await openStore({ reservationRetentionMs: 1000 });
    const now = Date.now();
    const h = [hold(a, 1)];
    await s.reserve(reservation('old', h, { expiresAt: now, idempotencyKey: 'k-old' }), h);
    await s.reserve(reservation('recent', h, { expiresAt: now + 5000 }), h);
    await s.reserve(reservation('open', h, { expiresAt: now }), h);
    await s.release('old', 'expired');
    await s.release('recent', 'released');

    expect(await s.pruneReservations(now + 1000)).toBe(0);
    expect(await s.pruneReservations(now + 1001)).toBe(1);
    expect(await s.getReservation('old')).toBeUndefined();
    expect(s.state.byIdempotencyKey.has('k-old')).toBe(false);
    expect(await s.getReservation('recent')).toMatchObject({ state: 'released' });
    // Active reservations are never pruned, however old: their holds still count.
    expect(await s.getReservation('open')).toMatchObject({ state: 'active' });
    await s.close();

    const raw = new Database(path, { readonly: true });
    const ids = raw.prepare('SELECT id FROM reservations ORDER BY id').pluck().all();
    raw.close();
    expect(ids).toEqual(['open', 'recent']);
  });
});
