import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BudgetEvent } from '../../src/budget/events.ts';
import { listOverrides, setOverride } from '../../src/budget/overrides.ts';
import { statusReport } from '../../src/budget/status.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { FakeClock, makeEngine, rec } from '../helpers/engine.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'bursar-restart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('engine on SQLite across a restart', () => {
  it('budgets, overrides, counters, holds, threshold marks and record ids come back exactly', async () => {
    const file = path.join(dir, 'restart.db');
    const clock = new FakeClock();
    const first = await makeEngine({ store: new SqliteStore({ path: file }), clock });
    const e1 = first.engine;
    await e1.putBudget({ id: 'tok', resource: 'tokens', period: 'day', limit: 10_000, policy: 'HARD_LIMIT' });
    await e1.putBudget({
      id: 'per-agent',
      groupBy: ['agent'],
      resource: 'cost_usd',
      period: 'month',
      limit: 1,
      policy: 'WARN',
    });
    await setOverride(e1, {
      budgetId: 'tok',
      amount: 5000,
      expiresAt: clock.t + 86_400_000,
      reason: 'incident',
      author: 'ops',
    });
    const events: Extract<BudgetEvent, { type: 'threshold_crossed' }>[] = [];
    e1.events.on('threshold_crossed', (e) => events.push(e));
    await e1.record([rec({ id: 'a', usage: { input: 9000, output: 0 }, scope: { agent: 'x' } })]);
    const held = await e1.reserve({ scope: { agent: 'x' }, estimate: { inputTokens: 1000 } });
    const before = await statusReport(e1);
    expect(events.map((e) => e.threshold)).toEqual([0.5]); // 9000 of 15000
    await first.store.close();

    const second = await makeEngine({ store: new SqliteStore({ path: file }), clock });
    const e2 = second.engine;
    const after = await statusReport(e2);
    expect(after).toEqual(before);
    expect(
      e2
        .budgets()
        .map((b) => b.id)
        .sort(),
    ).toEqual(['per-agent', 'tok']);
    expect((await listOverrides(e2)).map((o) => o.reason)).toEqual(['incident']);
    // The same record id again is still a duplicate.
    expect((await e2.record([rec({ id: 'a', usage: { input: 9000, output: 0 } })]))[0]!.duplicate).toBe(true);
    // The hold made before the restart commits after it.
    const c = await e2.commit(held.reservation!.id, { usage: { input: 800 } });
    expect(c.status).toBe('committed');
    const tok = (await statusReport(e2, ['tok'])).budgets[0]!;
    expect(tok).toMatchObject({ used: 9800, reserved: 0, limit: 15_000 });
    // 0.5 was marked before the restart: only 0.75 is new once 11,300 is reached.
    const later: Extract<BudgetEvent, { type: 'threshold_crossed' }>[] = [];
    e2.events.on('threshold_crossed', (e) => later.push(e));
    await e2.record([rec({ id: 'b', usage: { input: 1500, output: 0 } })]);
    expect(later.map((e) => e.threshold)).toEqual([0.75]);
    await second.store.close();
  });
});
