import { describe, expect, it } from 'vitest';
import { parseBudgetSpec } from '../../src/budget/budget-spec.ts';
import { makeEngine } from '../helpers/engine.ts';

const base = { id: 'b', resource: 'tokens', period: 'day', limit: 100, policy: 'HARD_LIMIT' };

describe('budget specs', () => {
  it('defaults', () => {
    expect(parseBudgetSpec(base)).toMatchObject({
      timeZone: 'UTC',
      thresholds: [0.5, 0.75, 0.9, 1],
      shadow: false,
      grace: 0.1,
      selector: {},
      groupBy: [],
    });
  });
  it.each([
    [{ period: 'fortnight' }, /period: unknown period "fortnight"/],
    [{ timeZone: 'Mars/Olympus' }, /timeZone: unknown IANA time zone "Mars\/Olympus"/],
    [{ resource: 'dollars' }, /resource: unknown resource "dollars"/],
    [{ policy: 'hard' }, /policy: unknown policy "hard"/],
    [{ limit: -5 }, /limit: must be greater than zero/],
    [{ limit: Number.NaN }, /limit/],
    [{ limit: 1e20 }, /limit: must be at most/],
    [{ limit: 10.5 }, /limit: must be a whole number for resource tokens/],
    [{ limit: undefined }, /limit: is required/],
    [{ id: 'has space' }, /id:/],
    [{ thresholds: [0.5, 0.5] }, /thresholds: must not repeat/],
    [{ thresholds: [0] }, /thresholds.0: must be greater than 0/],
    [{ selector: { Tenant: 'x' } }, /selector/],
    [{ grace: -1 }, /grace: must not be negative/],
    [{ extra: true }, /extra|Unrecognized/],
  ])('rejects %o naming the field', (patch, message) => {
    expect(() => parseBudgetSpec({ ...base, ...patch })).toThrow(message);
  });
  it('fractional USD and seconds limits are fine', () => {
    expect(parseBudgetSpec({ ...base, resource: 'cost_usd', limit: 12.34 }).limit).toBe(12.34);
  });
  it('a rejected budget leaves the engine unchanged', async () => {
    const { engine } = await makeEngine();
    await engine.putBudget(base);
    await expect(
      engine.putBudget({
        ...base,
        id: 'child',
        limit: undefined,
        parent: { id: 'missing', allocationPercent: 50 },
      }),
    ).rejects.toThrow(/unknown parent budget "missing"/);
    await expect(
      engine.putBudget({ ...base, id: 'c1', limit: undefined, parent: { id: 'c2', allocationPercent: 50 } }),
    ).rejects.toThrow(/parent/);
    expect(engine.budgets().map((b) => b.id)).toEqual(['b']);
    expect((await engine.store.loadBudgets()).map((b) => b.id)).toEqual(['b']);
  });
  it('rejects bad check and reserve input', async () => {
    const { engine } = await makeEngine();
    await expect(engine.check({ scope: {}, estimate: { inputTokens: -1 } })).rejects.toThrow(
      /estimate.inputTokens: must not be negative/,
    );
    await expect(engine.reserve({ scope: {}, ttlMs: 0 })).rejects.toThrow(/ttlMs: must be greater than zero/);
    await expect(engine.reserve({ scope: {}, ttlMs: 10 * 3_600_000 })).rejects.toThrow(
      /ttlMs: must be at most/,
    );
    await expect(engine.record([{ id: 'a' } as never])).rejects.toThrow(/records\[0\]/);
  });
});
