import { describe, expect, it } from 'vitest';
import type { BudgetEvent } from '../../src/budget/events.ts';
import { makeEngine } from '../helpers/engine.ts';

const call = {
  scope: { tenant: 'acme' },
  model: 'test-model',
  estimate: { inputTokens: 1000, outputTokens: 1000 },
};

async function setup() {
  const ctx = await makeEngine();
  await ctx.engine.putBudget({
    id: 'tok',
    resource: 'tokens',
    period: 'day',
    limit: 10_000,
    policy: 'HARD_LIMIT',
  });
  await ctx.engine.putBudget({
    id: 'req',
    resource: 'requests',
    period: 'day',
    limit: 100,
    policy: 'HARD_LIMIT',
  });
  const events: BudgetEvent[] = [];
  ctx.engine.events.on('*', (e) => {
    if (e.type !== 'decision') events.push(e);
  });
  const counters = async () => {
    const s = await ctx.engine.check({ scope: { tenant: 'acme' } });
    return Object.fromEntries(s.budgets.map((b) => [b.budgetId, { used: b.used, reserved: b.reserved }]));
  };
  return { ...ctx, events, counters };
}

describe('reservation lifecycle', () => {
  it('reserve holds the estimate on every matching budget; commit replaces it with the actual usage', async () => {
    const { engine, counters, events } = await setup();
    const r = await engine.reserve(call);
    expect(r.decision.allowed).toBe(true);
    expect(await counters()).toEqual({ tok: { used: 0, reserved: 2000 }, req: { used: 0, reserved: 1 } });
    const c = await engine.commit(r.reservation!.id, { usage: { input: 1200, output: 300 } });
    expect(c.status).toBe('committed');
    expect(c.overage).toEqual({ tok: -500, req: 0 });
    expect(await counters()).toEqual({ tok: { used: 1500, reserved: 0 }, req: { used: 1, reserved: 0 } });
    expect(events.map((e) => e.type)).toEqual([
      'reservation_created',
      'reservation_committed',
      'usage_recorded',
    ]);
  });

  it('commit above the hold records the full overage', async () => {
    const { engine, counters } = await setup();
    const r = await engine.reserve(call);
    const c = await engine.commit(r.reservation!.id, { usage: { input: 5000, output: 4000 } });
    expect(c.overage!.tok).toBe(7000);
    expect((await counters()).tok).toEqual({ used: 9000, reserved: 0 });
  });

  it('a retried commit is counted once', async () => {
    const { engine, counters } = await setup();
    const r = await engine.reserve(call);
    await engine.commit(r.reservation!.id, { usage: { input: 10, output: 10 } });
    const again = await engine.commit(r.reservation!.id, { usage: { input: 10, output: 10 } });
    expect(again.status).toBe('duplicate');
    expect((await counters()).tok).toEqual({ used: 20, reserved: 0 });
  });

  it('an idempotency key replays the first reservation instead of holding twice', async () => {
    const { engine, counters } = await setup();
    const a = await engine.reserve({ ...call, idempotencyKey: 'k1' });
    const b = await engine.reserve({ ...call, idempotencyKey: 'k1' });
    expect(b.replayed).toBe(true);
    expect(b.reservation!.id).toBe(a.reservation!.id);
    expect((await counters()).tok!.reserved).toBe(2000);
  });

  it('release drops the holds once', async () => {
    const { engine, counters, events } = await setup();
    const r = await engine.reserve(call);
    expect(await engine.release(r.reservation!.id)).toBeDefined();
    expect(await engine.release(r.reservation!.id)).toBeUndefined();
    expect((await counters()).tok).toEqual({ used: 0, reserved: 0 });
    expect(events.at(-1)!.type).toBe('reservation_released');
  });

  it('holds expire after their TTL; a late commit still records the usage', async () => {
    const { engine, clock, counters, events } = await setup();
    const r = await engine.reserve({ ...call, ttlMs: 5000 });
    clock.advance(4999);
    expect(await engine.expireReservations()).toBe(0);
    clock.advance(1);
    expect(await engine.expireReservations()).toBe(1);
    expect(events.at(-1)!.type).toBe('reservation_expired');
    expect((await counters()).tok).toEqual({ used: 0, reserved: 0 });
    const c = await engine.commit(r.reservation!.id, { usage: { input: 100, output: 100 } });
    expect(c.status).toBe('late');
    expect((await counters()).tok).toEqual({ used: 200, reserved: 0 });
    expect(await engine.expireReservations()).toBe(0);
  });

  it('all or nothing: one budget over its limit places no hold anywhere', async () => {
    const { engine, counters } = await setup();
    await engine.putBudget({
      id: 'small',
      selector: { tenant: 'acme' },
      resource: 'tokens',
      period: 'day',
      limit: 1000,
      policy: 'HARD_LIMIT',
    });
    const r = await engine.reserve(call);
    expect(r.reservation).toBeUndefined();
    expect(r.decision.decision).toBe('deny');
    expect(r.decision.budgets.find((b) => b.budgetId === 'small')!.decision).toBe('deny');
    expect(await counters()).toEqual({
      tok: { used: 0, reserved: 0 },
      req: { used: 0, reserved: 0 },
      small: { used: 0, reserved: 0 },
    });
  });

  it('a budget already at its limit denies a call with no estimate', async () => {
    const { engine } = await setup();
    await engine.record([
      {
        id: 'fill',
        time: engine.now(),
        provider: 'openai',
        operation: 'chat',
        requestModel: 'test-model',
        usage: { input: 10_000 },
        scope: { tenant: 'acme' },
      },
    ]);
    const r = await engine.reserve({ scope: { tenant: 'acme' } });
    expect(r.decision.decision).toBe('deny');
  });

  it('commit of an unknown reservation says so', async () => {
    const { engine } = await setup();
    expect((await engine.commit('nope', { usage: { input: 1 } })).status).toBe('not_found');
  });

  it('usage committed in the next period counts there; the old hold is released', async () => {
    const { engine, clock } = await setup();
    clock.set('2026-03-15T23:59:59Z');
    const r = await engine.reserve(call);
    clock.set('2026-03-16T00:00:01Z');
    await engine.commit(r.reservation!.id, { usage: { input: 10, output: 0 } });
    const today = await engine.check({ scope: { tenant: 'acme' } });
    expect(today.budgets.find((b) => b.budgetId === 'tok')).toMatchObject({ used: 10, reserved: 0 });
    clock.set('2026-03-15T23:59:59Z');
    const yesterday = await engine.check({ scope: { tenant: 'acme' } });
    expect(yesterday.budgets.find((b) => b.budgetId === 'tok')).toMatchObject({ used: 0, reserved: 0 });
  });
});
