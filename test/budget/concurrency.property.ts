import fc from 'fast-check';
import { expect } from 'vitest';
import type { Store } from '../../src/store/store.ts';
import { makeEngine } from '../helpers/engine.ts';

/** Yields to the event loop a random number of times so flows interleave differently. */
async function jitter(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}

interface Flow {
  tenant: 'a' | 'b';
  estimate: number;
  /** Actual usage as a share of the estimate (≤ 1: within the estimate). */
  actualRatio: number;
  outcome: 'commit' | 'release' | 'abandon';
  delay: number;
}

const flowArb = (maxRatio: number) =>
  fc.record<Flow>({
    tenant: fc.constantFrom('a', 'b'),
    estimate: fc.integer({ min: 1, max: 400 }),
    // Mostly the whole estimate, so limits are actually reached.
    actualRatio: fc.oneof(
      fc.constant(1),
      fc.constant(maxRatio),
      fc.double({ min: 0, max: maxRatio, noNaN: true }),
    ),
    outcome: fc.constantFrom('commit', 'commit', 'commit', 'release', 'abandon'),
    delay: fc.integer({ min: 0, max: 5 }),
  });

/**
 * Many concurrent reserve → (commit | release | abandon) flows against HARD budgets
 * on several scopes. Checks, per budget, that committed usage never passes the limit
 * by more than the overruns (actual − hold) of the calls it admitted, and never at
 * all when every call stayed within its estimate; and that nothing stays held.
 */
export async function concurrencyProperty(makeStore: () => Promise<Store>, runs: number): Promise<void> {
  for (const maxRatio of [1, 1.5]) {
    await fc.assert(
      fc.asyncProperty(fc.array(flowArb(maxRatio), { minLength: 20, maxLength: 120 }), async (flows) => {
        const store = await makeStore();
        const { engine, clock } = await makeEngine({ store });
        await engine.putBudget({
          id: 'global',
          resource: 'tokens',
          period: 'day',
          limit: 5000,
          policy: 'HARD_LIMIT',
        });
        await engine.putBudget({
          id: 'per-tenant',
          groupBy: ['tenant'],
          resource: 'tokens',
          period: 'day',
          limit: 2000,
          policy: 'HARD_LIMIT',
        });
        const overrun = { global: 0, a: 0, b: 0 };
        const committed = { global: 0, a: 0, b: 0 };
        await Promise.all(
          flows.map(async (f, i) => {
            await jitter(f.delay);
            const r = await engine.reserve({
              scope: { tenant: f.tenant },
              estimate: { inputTokens: f.estimate },
              ttlMs: 60_000,
            });
            if (!r.reservation) return;
            // Right after an admitted hold: held plus used stays within the limit,
            // give or take the overruns committed so far.
            const now = await engine.check({ scope: { tenant: f.tenant } });
            for (const b of now.budgets) {
              const limit = b.budgetId === 'global' ? 5000 : 2000;
              const over = b.budgetId === 'global' ? overrun.global : overrun[f.tenant];
              expect(b.used + b.reserved).toBeLessThanOrEqual(limit + over);
            }
            await jitter(f.delay);
            if (f.outcome === 'release') return void (await engine.release(r.reservation.id));
            if (f.outcome === 'abandon') return;
            const actual = Math.floor(f.estimate * f.actualRatio);
            // The overrun counts from the moment the commit is issued: the store applies it to
            // the counters other flows read before the commit's promise (durability) resolves.
            overrun.global += Math.max(0, actual - f.estimate);
            overrun[f.tenant] += Math.max(0, actual - f.estimate);
            const c = await engine.commit(r.reservation.id, { id: `flow-${i}`, usage: { input: actual } });
            expect(c.status).toBe('committed');
            committed.global += actual;
            committed[f.tenant] += actual;
          }),
        );
        clock.advance(60_000);
        await engine.expireReservations();
        const d = await engine.check({ scope: { tenant: 'a' } });
        const e = await engine.check({ scope: { tenant: 'b' } });
        const global = d.budgets.find((b) => b.budgetId === 'global')!;
        const a = d.budgets.find((b) => b.budgetId === 'per-tenant')!;
        const b = e.budgets.find((x) => x.budgetId === 'per-tenant')!;
        // Conservation: counters hold exactly what was committed, and no hold is left.
        expect([global.used, a.used, b.used]).toEqual([committed.global, committed.a, committed.b]);
        expect([global.reserved, a.reserved, b.reserved]).toEqual([0, 0, 0]);
        // The HARD bound.
        expect(global.used).toBeLessThanOrEqual(5000 + overrun.global);
        expect(a.used).toBeLessThanOrEqual(2000 + overrun.a);
        expect(b.used).toBeLessThanOrEqual(2000 + overrun.b);
        await store.close();
      }),
      { numRuns: runs },
    );
  }
}
