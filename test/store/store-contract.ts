import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.ts';
import { audit, budget, cost, DAY, hold, item, override, priced, ref, reservation, T0 } from './fixtures.ts';

/**
 * The behaviour every Store backend must share, written once and run against each
 * (test/store/store-contract.test.ts). The memory store is the reference.
 */

export interface StoreHarness {
  store: Store;
  /** Closes the store and removes whatever it created. */
  cleanup(): Promise<void>;
}

export function storeContract(name: string, open: () => Promise<StoreHarness>): void {
  describe(`Store contract: ${name}`, () => {
    let harness: StoreHarness;
    let store: Store;
    const a = ref('a');
    const b = ref('b');

    beforeEach(async () => {
      harness = await open();
      store = harness.store;
      await store.init();
    });
    afterEach(async () => {
      await harness.cleanup();
    });

    it('is ready after init', async () => {
      expect(await store.ready()).toBe(true);
    });

    describe('reserve', () => {
      it('places every hold or none, reporting each failed index', async () => {
        const holds = [hold(a, 60, 100), hold(b, 60, 50), hold(ref('c'), 10, 5)];
        const out = await store.reserve(reservation('r1', holds), holds);
        expect(out).toEqual({
          ok: false,
          failed: [1, 2],
          counters: [
            { used: 0, reserved: 0 },
            { used: 0, reserved: 0 },
            { used: 0, reserved: 0 },
          ],
        });
        expect(await store.getCounters([a, b])).toEqual([
          { used: 0, reserved: 0 },
          { used: 0, reserved: 0 },
        ]);
        expect(await store.getReservation('r1')).toBeUndefined();

        const ok = [hold(a, 60, 100), hold(b, 50, 50)];
        const placed = await store.reserve(reservation('r2', ok), ok);
        expect(placed.ok).toBe(true);
        if (!placed.ok) return;
        expect(placed.replayed).toBe(false);
        expect(placed.counters).toEqual([
          { used: 0, reserved: 60 },
          { used: 0, reserved: 50 },
        ]);
        expect(await store.getCounters([a, b])).toEqual([
          { used: 0, reserved: 60 },
          { used: 0, reserved: 50 },
        ]);
        // The next hold over the cap of `a` fails and leaves `b` untouched.
        const more = [hold(b, 1), hold(a, 41, 100)];
        expect(await store.reserve(reservation('r3', more), more)).toMatchObject({ ok: false, failed: [1] });
        expect(await store.getCounters([a, b])).toEqual([
          { used: 0, reserved: 60 },
          { used: 0, reserved: 50 },
        ]);
      });

      it('replays the first reservation for a known idempotency key', async () => {
        const holds = [hold(a, 10)];
        const first = await store.reserve(reservation('r1', holds, { idempotencyKey: 'k1' }), holds);
        const again = await store.reserve(reservation('r2', holds, { idempotencyKey: 'k1' }), holds);
        expect(first).toMatchObject({ ok: true, replayed: false });
        expect(again).toMatchObject({
          ok: true,
          replayed: true,
          reservation: { id: 'r1' },
          counters: [{ used: 0, reserved: 10 }],
        });
        expect(await store.getCounters([a])).toEqual([{ used: 0, reserved: 10 }]);
        expect(await store.getReservation('r2')).toBeUndefined();
      });
    });

    describe('commit', () => {
      it('drops the holds and adds the usage in one step', async () => {
        const holds = [hold(a, 100), hold(b, 30)];
        await store.reserve(reservation('r1', holds), holds);
        const rec = priced('rec-1');
        const out = await store.commit(
          'r1',
          item(rec, [
            [a, 70],
            [b, 40],
          ]),
        );
        expect(out).toMatchObject({
          status: 'committed',
          reservation: { id: 'r1', state: 'committed', recordId: 'rec-1' },
        });
        if (out.status === 'not_found') return;
        expect(out.counters).toEqual([
          { used: 70, reserved: 0 },
          { used: 40, reserved: 0 },
        ]);
        expect(await store.getReservation('r1')).toMatchObject({ state: 'committed', recordId: 'rec-1' });
        expect(await store.activeReservations()).toEqual([]);
        expect(await store.queryUsage({ from: 0, to: T0 + 1 })).toEqual([rec]);
      });

      it('treats a second commit as a duplicate that changes nothing', async () => {
        const holds = [hold(a, 100)];
        await store.reserve(reservation('r1', holds), holds);
        await store.commit('r1', item(priced('rec-1'), [[a, 70]]));
        const again = await store.commit('r1', item(priced('rec-1'), [[a, 70]]));
        expect(again).toMatchObject({ status: 'duplicate', counters: [{ used: 70, reserved: 0 }] });
        expect(await store.getCounters([a])).toEqual([{ used: 70, reserved: 0 }]);
        expect(await store.queryUsage({ from: 0, to: T0 + 1 })).toHaveLength(1);
      });

      it('answers not_found for an unknown reservation', async () => {
        expect(await store.commit('nope', item(priced('rec-1'), [[a, 1]]))).toEqual({ status: 'not_found' });
        expect(await store.getCounters([a])).toEqual([{ used: 0, reserved: 0 }]);
      });

      it('is late after a release or an expiry, and still counts the usage', async () => {
        const h1 = [hold(a, 100)];
        const h2 = [hold(b, 100)];
        await store.reserve(reservation('r1', h1), h1);
        await store.reserve(reservation('r2', h2), h2);
        await store.release('r1', 'released');
        await store.release('r2', 'expired');
        const late1 = await store.commit('r1', item(priced('rec-1'), [[a, 30]]));
        const late2 = await store.commit('r2', item(priced('rec-2'), [[b, 20]]));
        expect(late1).toMatchObject({
          status: 'late',
          reservation: { state: 'released', recordId: 'rec-1' },
        });
        expect(late2).toMatchObject({ status: 'late', reservation: { state: 'expired', recordId: 'rec-2' } });
        expect(await store.getCounters([a, b])).toEqual([
          { used: 30, reserved: 0 },
          { used: 20, reserved: 0 },
        ]);
        expect((await store.queryUsage({ from: 0, to: T0 + 1 })).map((r) => r.id)).toEqual([
          'rec-1',
          'rec-2',
        ]);
      });

      it('drops holds but adds no usage when the record already arrived another way', async () => {
        await store.record([item(priced('rec-1'), [[a, 70]])]);
        const holds = [hold(a, 100)];
        await store.reserve(reservation('r1', holds), holds);
        expect(await store.getCounters([a])).toEqual([{ used: 70, reserved: 100 }]);
        const out = await store.commit('r1', item(priced('rec-1'), [[a, 70]]));
        expect(out).toMatchObject({
          status: 'committed',
          reservation: { state: 'committed', recordId: 'rec-1' },
        });
        expect(await store.getCounters([a])).toEqual([{ used: 70, reserved: 0 }]);
        expect(await store.queryUsage({ from: 0, to: T0 + 1 })).toHaveLength(1);
      });
    });

    describe('release and expiry', () => {
      it('releases once', async () => {
        const holds = [hold(a, 40)];
        await store.reserve(reservation('r1', holds), holds);
        expect(await store.release('r1', 'released')).toMatchObject({ id: 'r1', state: 'released' });
        expect(await store.release('r1', 'released')).toBeUndefined();
        expect(await store.release('r1', 'expired')).toBeUndefined();
        expect(await store.release('nope', 'released')).toBeUndefined();
        expect(await store.getCounters([a])).toEqual([{ used: 0, reserved: 0 }]);
      });

      it('lists active reservations past their expiry', async () => {
        const h = [hold(a, 1)];
        await store.reserve(reservation('r1', h, { expiresAt: T0 + 1000 }), h);
        await store.reserve(reservation('r2', h, { expiresAt: T0 + 2000 }), h);
        await store.reserve(reservation('r3', h, { expiresAt: T0 + 500 }), h);
        await store.release('r3', 'released');
        expect(await store.expiredReservations(T0 + 999)).toEqual([]);
        expect(await store.expiredReservations(T0 + 1000)).toEqual(['r1']);
        expect((await store.expiredReservations(T0 + 5000)).sort()).toEqual(['r1', 'r2']);
        expect((await store.activeReservations()).map((r) => r.id).sort()).toEqual(['r1', 'r2']);
      });
    });

    describe('record', () => {
      it('counts a record id once, across calls and within one call', async () => {
        const first = await store.record([item(priced('x'), [[a, 5]]), item(priced('x'), [[a, 5]])]);
        expect(first).toEqual([
          { duplicate: false, counters: [{ used: 5, reserved: 0 }] },
          { duplicate: true, counters: [{ used: 5, reserved: 0 }] },
        ]);
        expect(await store.record([item(priced('x'), [[a, 5]])])).toEqual([
          { duplicate: true, counters: [{ used: 5, reserved: 0 }] },
        ]);
        expect(await store.getCounters([a])).toEqual([{ used: 5, reserved: 0 }]);
        expect(await store.queryUsage({ from: 0, to: T0 + 1 })).toHaveLength(1);
      });

      it('treats a record after a commit of the same id as a duplicate', async () => {
        const holds = [hold(a, 10)];
        await store.reserve(reservation('r1', holds), holds);
        await store.commit('r1', item(priced('x'), [[a, 8]]));
        expect(await store.record([item(priced('x'), [[a, 8]])])).toEqual([
          { duplicate: true, counters: [{ used: 8, reserved: 0 }] },
        ]);
      });
    });

    it('sets a mark once', async () => {
      expect(await store.mark('threshold:a:0.5')).toBe(true);
      expect(await store.mark('threshold:a:0.5')).toBe(false);
      expect(await store.mark('threshold:a:0.75')).toBe(true);
      const racing = await Promise.all([store.mark('m'), store.mark('m'), store.mark('m')]);
      expect(racing.filter(Boolean)).toHaveLength(1);
    });

    it('keeps cursor values by key, the last put winning, together with the records put beside them', async () => {
      expect(await store.getCursors(['c1', 'c2'])).toEqual([undefined, undefined]);
      await store.putCursors([
        ['c1', 'a'],
        ['c2', 'b'],
      ]);
      const put = store.putCursors([['c1', 'c']]);
      const recorded = store.record([item(priced('with-cursor'), [[a, 3]])]);
      await Promise.all([put, recorded]);
      expect(await store.getCursors(['c1', 'c2', 'c3'])).toEqual(['c', 'b', undefined]);
      expect(await store.queryUsage({ from: 0, to: T0 + 1 })).toHaveLength(1);
    });

    describe('usage queries', () => {
      const records = [
        priced('u1', { time: T0 + 30, scope: { tenant: 'acme', team: 'red' }, toolName: 'search' }),
        priced('u2', {
          time: T0 + 10,
          responseModel: 'gpt-5.5-2026-01',
          scope: { tenant: 'acme' },
          errorType: 'timeout',
        }),
        priced('u3', {
          time: T0 + 10,
          provider: 'anthropic',
          requestModel: 'claude-opus-4-8',
          scope: { tenant: 'globex', team: 'red' },
          usageSource: 'missing',
          usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0, reasoning: 0 },
          cost: cost(0, { unpriced: true, source: 'unpriced', computedNanoUsd: undefined }),
        }),
        priced('u4', { time: T0 + 20, scope: { tenant: 'globex' }, durationMs: 1000, cost: cost(2_500) }),
        priced('u5', { time: T0 + 100, scope: { tenant: 'acme' } }),
      ];

      beforeEach(async () => {
        await store.record(records.map((r) => item(r)));
      });

      it('returns records in time order (ties in arrival order) within [from, to)', async () => {
        const all = await store.queryUsage({ from: T0, to: T0 + 100 });
        expect(all.map((r) => r.id)).toEqual(['u2', 'u3', 'u4', 'u1']);
        expect(all[0]).toEqual(records[1]);
        expect((await store.queryUsage({ from: T0, to: T0 + 101, limit: 2 })).map((r) => r.id)).toEqual([
          'u2',
          'u3',
        ]);
        expect((await store.queryUsage({ from: T0 + 11, to: T0 + 200 })).map((r) => r.id)).toEqual([
          'u4',
          'u1',
          'u5',
        ]);
      });

      it('filters on usage fields, standard and custom scope labels', async () => {
        const ids = async (filter: Record<string, string>) =>
          (await store.queryUsage({ from: 0, to: T0 + 1000, filter })).map((r) => r.id);
        expect(await ids({ tenant: 'acme' })).toEqual(['u2', 'u1', 'u5']);
        expect(await ids({ model: 'gpt-5.5-2026-01' })).toEqual(['u2']);
        expect(await ids({ model: 'gpt-5.5' })).toEqual(['u4', 'u1', 'u5']);
        expect(await ids({ team: 'red', provider: 'anthropic' })).toEqual(['u3']);
        expect(await ids({ tool: 'search' })).toEqual(['u1']);
        expect(await ids({ nosuchlabel: 'x' })).toEqual([]);
      });

      it('aggregates by group fields', async () => {
        const byModel = await store.aggregateUsage({ from: T0, to: T0 + 1000, groupBy: ['model'] });
        const sorted = [...byModel].sort((x, y) => x.group.model!.localeCompare(y.group.model!));
        expect(sorted).toEqual([
          {
            group: { model: 'claude-opus-4-8' },
            calls: 1,
            errors: 0,
            missingUsage: 1,
            unpricedCalls: 1,
            input: 0,
            output: 0,
            cacheRead: 0,
            cacheWrite: 0,
            reasoning: 0,
            costNanoUsd: 0,
            durationMs: 250,
          },
          {
            group: { model: 'gpt-5.5' },
            calls: 3,
            errors: 0,
            missingUsage: 0,
            unpricedCalls: 0,
            input: 300,
            output: 60,
            cacheRead: 30,
            cacheWrite: 0,
            reasoning: 15,
            costNanoUsd: 4_500,
            durationMs: 1500,
          },
          {
            group: { model: 'gpt-5.5-2026-01' },
            calls: 1,
            errors: 1,
            missingUsage: 0,
            unpricedCalls: 0,
            input: 100,
            output: 20,
            cacheRead: 10,
            cacheWrite: 0,
            reasoning: 5,
            costNanoUsd: 1_000,
            durationMs: 250,
          },
        ]);
      });

      it('aggregates by several fields with filters, absent values as empty strings', async () => {
        const rows = await store.aggregateUsage({
          from: T0,
          to: T0 + 100,
          groupBy: ['tenant', 'tool'],
          filter: { provider: 'openai' },
        });
        const summary = rows.map((r) => [r.group.tenant, r.group.tool, r.calls, r.costNanoUsd]).sort();
        expect(summary).toEqual([
          ['acme', '', 1, 1_000],
          ['acme', 'search', 1, 1_000],
          ['globex', '', 1, 2_500],
        ]);
        const total = await store.aggregateUsage({ from: T0, to: T0 + 1000, groupBy: [] });
        expect(total).toHaveLength(1);
        expect(total[0]).toMatchObject({ group: {}, calls: 5, errors: 1, costNanoUsd: 5_500 });
        expect(await store.aggregateUsage({ from: 0, to: 1, groupBy: [] })).toEqual([]);
        const custom = await store.aggregateUsage({
          from: 0,
          to: T0 + 1000,
          groupBy: ['tenant'],
          filter: { team: 'red' },
        });
        expect(custom.map((r) => r.group.tenant).sort()).toEqual(['acme', 'globex']);
      });
    });

    it('lists one budget period’s counters', async () => {
      const tenantA = ref('a', 'acme');
      const nextDay = ref('a', '', DAY + 86_400_000);
      await store.record([
        item(priced('x'), [
          [a, 1],
          [tenantA, 2],
          [nextDay, 3],
          [b, 4],
        ]),
      ]);
      const rows = await store.listCounters('a', DAY);
      expect([...rows].sort((p, q) => p.key.localeCompare(q.key))).toEqual([
        { ...a, used: 1, reserved: 0 },
        { ...tenantA, used: 2, reserved: 0 },
      ]);
      expect(await store.listCounters('a', DAY + 86_400_000)).toEqual([{ ...nextDay, used: 3, reserved: 0 }]);
      expect(await store.listCounters('zzz', DAY)).toEqual([]);
    });

    it('keeps snapshots by budget and time range', async () => {
      const snap = (time: number, budgetId: string, used: number) => ({
        time,
        budgetId,
        group: '',
        periodStart: DAY,
        used,
        reserved: 0,
        limit: 10_000,
      });
      await store.saveSnapshots([snap(T0, 'a', 1), snap(T0 + 60_000, 'a', 2), snap(T0, 'b', 3)]);
      await store.saveSnapshots([snap(T0 + 120_000, 'a', 4)]);
      expect(await store.listSnapshots('a', T0, T0 + 120_000)).toEqual([
        snap(T0, 'a', 1),
        snap(T0 + 60_000, 'a', 2),
      ]);
      expect(await store.listSnapshots('b', 0, T0 + 1)).toEqual([snap(T0, 'b', 3)]);
      expect(await store.listSnapshots('a', T0 + 1, T0 + 2)).toEqual([]);
    });

    it('keeps budgets in first-saved order, updated in place', async () => {
      await store.saveBudget(budget('daily'), audit('budget.put', 'daily'));
      await store.saveBudget(budget('monthly'), audit('budget.put', 'monthly'));
      await store.saveBudget(budget('daily', 20), audit('budget.put', 'daily'));
      expect(await store.loadBudgets()).toEqual([budget('daily', 20), budget('monthly')]);
      await store.deleteBudget('daily', audit('budget.delete', 'daily'));
      expect(await store.loadBudgets()).toEqual([budget('monthly')]);
    });

    it('keeps overrides and an audit log, newest entry first', async () => {
      await store.saveOverride(override('o1', 'a'), audit('override.set', 'o1', T0));
      await store.saveOverride(override('o2', 'a', { group: 'acme' }), audit('override.set', 'o2', T0 + 1));
      expect(await store.loadOverrides()).toEqual([
        override('o1', 'a'),
        override('o2', 'a', { group: 'acme' }),
      ]);
      expect(await store.deleteOverride('o1', audit('override.delete', 'o1', T0 + 2))).toBe(true);
      expect(await store.deleteOverride('o1', audit('override.delete', 'o1', T0 + 3))).toBe(false);
      expect(await store.loadOverrides()).toEqual([override('o2', 'a', { group: 'acme' })]);
      expect((await store.listAudit(10)).map((e) => [e.action, e.subject, e.time])).toEqual([
        ['override.delete', 'o1', T0 + 2],
        ['override.set', 'o2', T0 + 1],
        ['override.set', 'o1', T0],
      ]);
      expect(await store.listAudit(1)).toEqual([audit('override.delete', 'o1', T0 + 2)]);
    });
  });
}
