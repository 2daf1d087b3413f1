import { describe, expect, it } from 'vitest';
import type { BudgetDecision, Decision } from '../../../src/budget/decision.ts';
import { decisionView } from '../../../src/service/api/decision-view.ts';
import { usdString, secondsString, usdPerMTokString } from '../../../src/service/api/money.ts';

const budget = (over: Partial<BudgetDecision>): BudgetDecision => ({
  budgetId: 'b',
  group: '',
  policy: 'HARD_LIMIT',
  resource: 'cost_usd',
  decision: 'allow',
  wouldDeny: false,
  shadow: false,
  limit: 1_000_000_000,
  used: 250_000_000,
  reserved: 0,
  requested: 270_000,
  utilization: 0.25027,
  periodStart: Date.parse('2026-11-20T00:00:00Z'),
  periodEnd: Number.POSITIVE_INFINITY,
  reason: 'within limit',
  ...over,
});

describe('decisionView', () => {
  it('hides the figures of budgets the caller may not read, keeping the verdict', () => {
    const d: Decision = {
      allowed: false,
      decision: 'deny',
      reasons: ['shared: $0.99 used + … would pass the HARD limit of $1', 'mine: at 80.0% of $1'],
      budgets: [
        budget({
          budgetId: 'shared',
          decision: 'deny',
          wouldDeny: true,
          reason: 'shared: $0.99 used + … would pass the HARD limit of $1',
        }),
        budget({ budgetId: 'mine', policy: 'WARN', decision: 'warn', reason: 'mine: at 80.0% of $1' }),
      ],
      unpriced: false,
    };
    const v = decisionView(d, (b) => b.budgetId === 'mine');
    expect(v).toMatchObject({ allowed: false, decision: 'deny' });
    expect(v.budgets.map((b) => b.budgetId)).toEqual(['mine']);
    expect(v.reasons).toEqual(['a budget shared with other tenants: deny', 'mine: at 80.0% of $1']);
    expect(JSON.stringify(v)).not.toContain('0.99');
    expect(decisionView(d).budgets).toHaveLength(2);
  });

  it('shows unknown figures as null and the open end of `total` as null', () => {
    const v = decisionView({
      allowed: true,
      decision: 'warn',
      reasons: ['x'],
      budgets: [
        budget({
          used: Number.NaN,
          reserved: Number.NaN,
          utilization: Number.NaN,
          decision: 'warn',
          reason: 'x',
        }),
      ],
      unpriced: false,
    });
    expect(v.budgets[0]).toMatchObject({ used: null, reserved: null, utilization: null, periodEnd: null });
    expect(v.budgets[0]!.display).toEqual({
      unit: 'USD',
      limit: '1.00',
      used: null,
      reserved: null,
      requested: '0.00027',
    });
  });
});

describe('exact decimal strings', () => {
  it('are built from the integers by digits', () => {
    expect(usdString(0)).toBe('0.00');
    expect(usdString(1)).toBe('0.000000001');
    expect(usdString(270_000)).toBe('0.00027');
    expect(usdString(3_000_000_000)).toBe('3.00');
    expect(usdString(12_345_678_901)).toBe('12.345678901');
    expect(usdString(-75_000)).toBe('-0.000075');
    // 0.1 + 0.2 in floats is 0.30000000000000004; in nano-USD it is exact.
    expect(usdString(100_000_000 + 200_000_000)).toBe('0.30');
    expect(usdString(Number.MAX_SAFE_INTEGER)).toBe('9007199.254740991');
    expect(secondsString(1500)).toBe('1.5');
    expect(secondsString(2000)).toBe('2');
    expect(usdPerMTokString(75_000)).toBe('0.075');
    expect(usdPerMTokString(2_500_000)).toBe('2.50');
  });
});
