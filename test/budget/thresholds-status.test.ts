import { describe, expect, it } from 'vitest';
import { breakdown } from '../../src/budget/breakdown.ts';
import type { BudgetEvent } from '../../src/budget/events.ts';
import { deleteOverride, listOverrides, setOverride } from '../../src/budget/overrides.ts';
import { snapshotHistory, statusReport } from '../../src/budget/status.ts';
import { makeEngine, rec } from '../helpers/engine.ts';

const tokens = (n: number, over: Record<string, unknown> = {}) =>
  rec({ usage: { input: n, output: 0 }, ...over });

describe('threshold events', () => {
  it('each threshold fires once per budget and period; exceeded fires once', async () => {
    const { engine, clock } = await makeEngine();
    await engine.putBudget({ id: 't', resource: 'tokens', period: 'day', limit: 1000, policy: 'WARN' });
    const seen: BudgetEvent[] = [];
    engine.events.on('threshold_crossed', (e) => seen.push(e));
    engine.events.on('budget_exceeded', (e) => seen.push(e));
    const at = () => clock.t;
    await engine.record([tokens(499, { time: at() })]);
    expect(seen).toEqual([]);
    await engine.record([tokens(1, { time: at() })]); // exactly 50%
    await engine.record([tokens(300, { time: at() })]); // 80%: crosses 75%
    await engine.record([tokens(150, { time: at() })]); // 95%: crosses 90%
    await engine.record([tokens(10, { time: at() })]); // 96%: nothing new
    await engine.record([tokens(100, { time: at() })]); // 106%: 100% and exceeded
    await engine.record([tokens(100, { time: at() })]);
    const summary = seen.map((e) => (e.type === 'threshold_crossed' ? e.threshold : e.type));
    expect(summary).toEqual([0.5, 0.75, 0.9, 1, 'budget_exceeded']);
    // The next day is a new period: thresholds fire again.
    clock.advance(86_400_000);
    await engine.record([tokens(600, { time: at() })]);
    expect(seen.map((e) => (e.type === 'threshold_crossed' ? e.threshold : e.type)).slice(5)).toEqual([0.5]);
  });

  it('a throwing listener does not break recording', async () => {
    const { engine } = await makeEngine();
    await engine.putBudget({ id: 't', resource: 'tokens', period: 'day', limit: 10, policy: 'WARN' });
    const errors: unknown[] = [];
    engine.events.onListenerError = (e) => errors.push(e);
    engine.events.on('threshold_crossed', () => {
      throw new Error('listener bug');
    });
    const [r] = await engine.record([tokens(100)]);
    expect(r!.duplicate).toBe(false);
    expect(errors.length).toBe(4);
  });
});

describe('overrides', () => {
  it('add headroom until they expire, with an audit trail', async () => {
    const { engine, clock } = await makeEngine();
    await engine.putBudget({
      id: 'h',
      resource: 'cost_usd',
      period: 'month',
      limit: 10,
      policy: 'HARD_LIMIT',
    });
    const o = await setOverride(engine, {
      budgetId: 'h',
      amount: 5,
      expiresAt: clock.t + 3_600_000,
      reason: 'launch day',
      author: 'ops@example.com',
    });
    expect(o.amount).toBe(5_000_000_000);
    const d = await engine.check({ scope: {} });
    expect(d.budgets[0]!.limit).toBe(15_000_000_000);
    clock.advance(3_600_000);
    expect((await engine.check({ scope: {} })).budgets[0]!.limit).toBe(10_000_000_000);
    expect(await listOverrides(engine)).toEqual([]);
    expect((await listOverrides(engine, true)).length).toBe(1);
    expect(await deleteOverride(engine, o.id, 'ops@example.com')).toBe(true);
    const audit = await engine.store.listAudit(10);
    expect(audit.map((a) => a.action)).toEqual(['override.delete', 'override.set', 'budget.put']);
    expect(audit[1]!.detail).toContain('launch day');
    await expect(
      setOverride(engine, {
        budgetId: 'nope',
        amount: 1,
        expiresAt: clock.t + 1000,
        reason: 'x',
        author: 'y',
      }),
    ).rejects.toThrow(/budgetId: unknown budget/);
    await expect(
      setOverride(engine, { budgetId: 'h', amount: 1, expiresAt: clock.t - 1, reason: 'x', author: 'y' }),
    ).rejects.toThrow(/expiresAt: must be in the future/);
  });
});

describe('status, history and breakdowns', () => {
  it('status reports used, remaining, burn rate and forecast', async () => {
    const { engine, clock } = await makeEngine();
    clock.set('2026-03-15T06:00:00Z'); // a quarter of the UTC day has passed
    await engine.putBudget({
      id: 'd',
      resource: 'tokens',
      period: 'day',
      limit: 8000,
      policy: 'HARD_LIMIT',
      criticalAt: 0.9,
    });
    await engine.record([tokens(2000, { time: clock.t })]);
    await engine.reserve({ scope: {}, estimate: { inputTokens: 1000 } });
    const report = await statusReport(engine);
    const s = report.budgets[0]!;
    expect(s).toMatchObject({
      used: 2000,
      reserved: 1000,
      remaining: 5000,
      limit: 8000,
      utilization: 0.25,
      critical: false,
    });
    expect(s.periodStart).toBe(Date.parse('2026-03-15T00:00:00Z'));
    expect(s.periodEnd).toBe(Date.parse('2026-03-16T00:00:00Z'));
    // 2000 tokens in 6 h: exactly the sustainable pace of 8000 per 24 h.
    expect(s.burnRate).toBeCloseTo(2000 / 21_600, 12);
    expect(s.burnRateRatio).toBeCloseTo(1, 12);
    // At that pace the limit is reached exactly at the end of the period: not before it.
    expect(s.forecastExhaustedAt).toBeNull();
    await engine.record([tokens(5300, { time: clock.t })]);
    const hot = (await statusReport(engine)).budgets[0]!;
    expect(hot.critical).toBe(true);
    expect((await statusReport(engine)).isAnyCritical).toBe(true);
    // 7300 used in 6 h → 700 more take 700 / (7300/21600) s.
    expect(hot.forecastExhaustedAt).toBe(Math.round(clock.t + (700 / (7300 / 21_600)) * 1000));
    expect(report.isAnyCritical).toBe(false);
  });

  it('grouped budgets report one row per group', async () => {
    const { engine } = await makeEngine();
    await engine.putBudget({
      id: 'g',
      groupBy: ['agent'],
      resource: 'requests',
      period: 'day',
      limit: 10,
      policy: 'HARD_LIMIT',
    });
    await engine.record([
      rec({ scope: { agent: 'a' } }),
      rec({ scope: { agent: 'b' } }),
      rec({ scope: { agent: 'b' } }),
    ]);
    const rows = (await statusReport(engine)).budgets.map((s) => [s.group, s.used]).sort();
    expect(rows).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
  });

  it('history snapshots', async () => {
    const { engine, clock } = await makeEngine();
    await engine.putBudget({ id: 'h', resource: 'tokens', period: 'day', limit: 10_000, policy: 'WARN' });
    await engine.record([tokens(100, { time: clock.t })]);
    await snapshotHistory(engine);
    clock.advance(60_000);
    await engine.record([tokens(50, { time: clock.t })]);
    await snapshotHistory(engine);
    const hist = await engine.store.listSnapshots('h', 0, clock.t + 1);
    expect(hist.map((h) => h.used)).toEqual([100, 150]);
  });

  it('breakdowns group usage, sort by spend, keep top N and an other row', async () => {
    const { engine, clock } = await makeEngine();
    await engine.record([
      rec({ scope: { agent: 'planner' }, usage: { input: 3000, output: 1000, cacheRead: 1500 } }),
      rec({ scope: { agent: 'planner' }, usage: { input: 1000, output: 0 } }),
      rec({ scope: { agent: 'coder' }, usage: { input: 10_000, output: 5000 } }),
      rec({ scope: { agent: 'reviewer' }, usage: { input: 10, output: 10 } }),
    ]);
    const b = await breakdown(engine, { from: clock.t - 1000, to: clock.t + 1000, by: ['agent'], top: 2 });
    expect(b.rows.map((r) => r.group.agent)).toEqual(['coder', 'planner']);
    expect(b.rows[1]).toMatchObject({
      calls: 2,
      input: 4000,
      output: 1000,
      cacheRead: 1500,
      cacheHitRatio: 0.375,
    });
    // planner: 4000 input × $1/M + 1000 output × $2/M = $0.006 = 6,000,000 nano-USD; two calls.
    expect(b.rows[1]!.costNanoUsd).toBe(6_000_000);
    expect(b.rows[1]!.avgCostNanoUsd).toBe(3_000_000);
    expect(b.other).toMatchObject({ calls: 1, input: 10 });
    expect(b.total.calls).toBe(4);
    await expect(breakdown(engine, { from: 10, to: 5 })).rejects.toThrow(/to: must be after from/);
  });
});
