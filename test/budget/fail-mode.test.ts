import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/memory-store.ts';
import type {
  CounterRef,
  CounterValue,
  HoldSpec,
  Reservation,
  ReserveOutcome,
} from '../../src/store/store.ts';
import { makeEngine } from '../helpers/engine.ts';

/** A memory store that can be taken down, as a lost Redis or a failed disk would be. */
class FlakyStore extends MemoryStore {
  down = false;
  override async getCounters(refs: readonly CounterRef[]): Promise<CounterValue[]> {
    if (this.down) throw new Error('connection refused');
    return super.getCounters(refs);
  }
  override async reserve(r: Reservation, holds: HoldSpec[]): Promise<ReserveOutcome> {
    if (this.down) throw new Error('connection refused');
    return super.reserve(r, holds);
  }
}

describe('store unavailable', () => {
  it('HARD budgets fail closed, others fail open, per-budget failMode overrides; reasons say why', async () => {
    const store = new FlakyStore();
    const { engine } = await makeEngine({ store });
    await engine.putBudget({
      id: 'hard',
      resource: 'requests',
      period: 'day',
      limit: 10,
      policy: 'HARD_LIMIT',
    });
    await engine.putBudget({ id: 'warn', resource: 'requests', period: 'day', limit: 10, policy: 'WARN' });
    store.down = true;
    const d = await engine.check({ scope: {} });
    expect(d.decision).toBe('deny');
    expect(d.budgets.find((b) => b.budgetId === 'hard')!.reason).toBe(
      'hard: budget store unavailable (connection refused); failing closed',
    );
    expect(d.budgets.find((b) => b.budgetId === 'warn')!.reason).toContain('failing open');
    const r = await engine.reserve({ scope: {} });
    expect(r.storeUnavailable).toBe(true);
    expect(r.reservation).toBeUndefined();
    expect(r.decision.allowed).toBe(false);

    await engine.putBudget({
      id: 'hard',
      resource: 'requests',
      period: 'day',
      limit: 10,
      policy: 'HARD_LIMIT',
      failMode: 'open',
    });
    const open = await engine.reserve({ scope: {} });
    expect(open.decision.allowed).toBe(true);
    expect(open.decision.decision).toBe('warn');
    expect(open.storeUnavailable).toBe(true);

    store.down = false;
    const back = await engine.reserve({ scope: {} });
    expect(back.reservation).toBeDefined();
    expect(back.decision.decision).toBe('allow');
  });

  it('a WARN budget with failMode closed denies while the store is down', async () => {
    const store = new FlakyStore();
    const { engine } = await makeEngine({ store });
    await engine.putBudget({
      id: 'w',
      resource: 'requests',
      period: 'day',
      limit: 10,
      policy: 'WARN',
      failMode: 'closed',
    });
    store.down = true;
    expect((await engine.check({ scope: {} })).decision).toBe('deny');
  });
});
