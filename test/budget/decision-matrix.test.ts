import { describe, expect, it } from 'vitest';
import { type Policy, RESOURCES, type Resource } from '../../src/budget/budget-spec.ts';
import { makeEngine, rec } from '../helpers/engine.ts';

// For each resource: the limit, a usage record, and how many counter units one such
// record adds (the test model costs $1/M input and $2/M output).
const ONE_CALL: Record<Resource, { limit: number; units: number; over?: Record<string, unknown> }> = {
  // 1000 input × $1/M + 500 output × $2/M = $0.002 = 2,000,000 nano-USD per call.
  cost_usd: { limit: 0.01, units: 2_000_000 },
  tokens: { limit: 5000, units: 1500 },
  input_tokens: { limit: 3500, units: 1000 },
  output_tokens: { limit: 1700, units: 500 },
  requests: { limit: 4, units: 1 },
  tool_calls: { limit: 3, units: 1, over: { operation: 'execute_tool', toolName: 'search', usage: {} } },
  duration_seconds: { limit: 4, units: 1200, over: { durationMs: 1200 } },
};

describe('decision matrix: policy × resource', () => {
  const policies: Policy[] = ['IGNORE', 'WARN', 'SOFT_LIMIT', 'HARD_LIMIT'];
  for (const resource of RESOURCES) {
    for (const policy of policies) {
      it(`${policy} on ${resource}`, async () => {
        const { engine } = await makeEngine();
        const spec = ONE_CALL[resource];
        await engine.putBudget({ id: 'b', resource, period: 'day', limit: spec.limit, policy, grace: 0.5 });
        const call = {
          scope: { tenant: 'acme' },
          model: 'test-model',
          operation: resource === 'tool_calls' ? 'execute_tool' : 'chat',
          estimate: { inputTokens: 1000, outputTokens: 500, durationSeconds: 1.2 },
        };
        // Fill the budget with recorded usage until it is past its limit.
        const limitUnits = engine.budget('b')!.baseLimit;
        let used = 0;
        const decisions: string[] = [];
        while (used <= limitUnits * 1.6) {
          const d = await engine.check(call);
          decisions.push(d.decision);
          const requested = d.budgets[0]!.requested;
          const after = used + requested;
          if (policy === 'IGNORE') expect(d.decision).toBe('allow');
          if (policy === 'HARD_LIMIT') expect(d.decision).toBe(after > limitUnits ? 'deny' : 'allow');
          if (policy === 'SOFT_LIMIT') {
            expect(d.decision).toBe(
              after > Math.floor(limitUnits * 1.5) ? 'deny' : after > limitUnits ? 'soft_limit' : 'allow',
            );
          }
          if (policy === 'WARN') expect(d.decision).toBe(after / limitUnits >= 0.5 ? 'warn' : 'allow');
          expect(d.allowed).toBe(d.decision !== 'deny');
          if (d.decision !== 'allow') expect(d.reasons.join(' ')).toContain('b');
          await engine.record([rec(spec.over ?? {})]);
          used += spec.units;
          expect(d.budgets[0]!.used).toBe(used - spec.units);
        }
        if (policy === 'HARD_LIMIT') expect(decisions).toContain('deny');
        if (policy === 'SOFT_LIMIT')
          expect(decisions).toEqual(expect.arrayContaining(['soft_limit', 'deny']));
        if (policy === 'WARN') expect(decisions).toContain('warn');
      });
    }
  }

  it('cost units are exact nano-USD', async () => {
    const { engine } = await makeEngine();
    await engine.putBudget({ id: 'c', resource: 'cost_usd', period: 'day', limit: 1, policy: 'HARD_LIMIT' });
    const [r] = await engine.record([rec()]);
    // 1000 input × $1/M + 500 output × $2/M = $0.001 + $0.001 = $0.002 = 2,000,000 nano-USD.
    expect(r!.cost.nanoUsd).toBe(2_000_000);
    const d = await engine.check({ scope: { tenant: 'acme' }, model: 'test-model' });
    expect(d.budgets[0]!.used).toBe(2_000_000);
  });
});

describe('decisions across budgets', () => {
  it('the most restrictive matching budget wins and reasons name each budget', async () => {
    const { engine } = await makeEngine();
    await engine.putBudget({
      id: 'global',
      resource: 'requests',
      period: 'day',
      limit: 100,
      policy: 'WARN',
      thresholds: [0.01],
    });
    await engine.putBudget({
      id: 'acme',
      selector: { tenant: 'acme' },
      resource: 'requests',
      period: 'day',
      limit: 1,
      policy: 'HARD_LIMIT',
    });
    await engine.putBudget({
      id: 'other',
      selector: { tenant: 'other' },
      resource: 'requests',
      period: 'day',
      limit: 1,
      policy: 'HARD_LIMIT',
    });
    await engine.record([rec()]);
    const d = await engine.check({ scope: { tenant: 'acme' } });
    expect(d.decision).toBe('deny');
    expect(d.budgets.map((b) => b.budgetId).sort()).toEqual(['acme', 'global']);
    expect(d.reasons.some((r) => r.startsWith('acme:'))).toBe(true);
    expect(d.reasons.some((r) => r.startsWith('global:'))).toBe(true);
    const o = await engine.check({ scope: { tenant: 'other' } });
    expect(o.decision).toBe('warn');
  });

  it('shadow budgets report "would deny" but allow', async () => {
    const { engine } = await makeEngine();
    await engine.putBudget({
      id: 's',
      resource: 'requests',
      period: 'day',
      limit: 1,
      policy: 'HARD_LIMIT',
      shadow: true,
    });
    await engine.record([rec()]);
    const d = await engine.check({ scope: {} });
    expect(d.allowed).toBe(true);
    expect(d.budgets[0]!.wouldDeny).toBe(true);
    expect(d.reasons[0]).toContain('would deny');
    const r = await engine.reserve({ scope: {} });
    expect(r.reservation).toBeDefined();
  });

  it('selectors: wildcards, globs, negation, usage labels', async () => {
    const { engine } = await makeEngine();
    await engine.putBudget({
      id: 'any-agent',
      selector: { agent: '*' },
      resource: 'requests',
      period: 'day',
      limit: 10,
      policy: 'HARD_LIMIT',
    });
    await engine.putBudget({
      id: 'team',
      selector: { tenant: 'team-*' },
      resource: 'requests',
      period: 'day',
      limit: 10,
      policy: 'HARD_LIMIT',
    });
    await engine.putBudget({
      id: 'not-acme',
      selector: { tenant: '!acme' },
      resource: 'requests',
      period: 'day',
      limit: 10,
      policy: 'HARD_LIMIT',
    });
    await engine.putBudget({
      id: 'gpt',
      selector: { model: 'gpt-*', provider: 'openai' },
      resource: 'requests',
      period: 'day',
      limit: 10,
      policy: 'HARD_LIMIT',
    });
    const ids = async (call: Parameters<typeof engine.check>[0]) =>
      (await engine.check(call)).budgets.map((b) => b.budgetId).sort();
    expect(await ids({ scope: { tenant: 'acme' } })).toEqual([]);
    expect(await ids({ scope: { tenant: 'acme', agent: 'x' } })).toEqual(['any-agent']);
    expect(await ids({ scope: { tenant: 'team-a' } })).toEqual(['not-acme', 'team']);
    expect(await ids({ scope: {}, provider: 'openai', model: 'gpt-5' })).toEqual(['gpt', 'not-acme']);
    expect(await ids({ scope: {}, provider: 'anthropic', model: 'gpt-5' })).toEqual(['not-acme']);
  });

  it('groupBy gives every label value its own counter and limit', async () => {
    const { engine } = await makeEngine();
    await engine.putBudget({
      id: 'per-tenant',
      groupBy: ['tenant'],
      resource: 'requests',
      period: 'day',
      limit: 2,
      policy: 'HARD_LIMIT',
    });
    await engine.record([
      rec({ scope: { tenant: 'a' } }),
      rec({ scope: { tenant: 'a' } }),
      rec({ scope: { tenant: 'b' } }),
    ]);
    expect((await engine.check({ scope: { tenant: 'a' } })).decision).toBe('deny');
    expect((await engine.check({ scope: { tenant: 'b' } })).decision).toBe('allow');
    expect((await engine.check({ scope: { tenant: 'c' } })).budgets[0]!.group).toBe('c');
  });

  it('a child allocation is its share of the parent limit', async () => {
    const { engine } = await makeEngine();
    await engine.putBudget({
      id: 'org',
      resource: 'tokens',
      period: 'month',
      limit: 10_000,
      policy: 'HARD_LIMIT',
    });
    await engine.putBudget({
      id: 'team',
      parent: { id: 'org', allocationPercent: 25 },
      selector: { project: 'p' },
      resource: 'tokens',
      period: 'month',
      policy: 'HARD_LIMIT',
    });
    expect(engine.budget('team')!.baseLimit).toBe(2500);
    await engine.putBudget({
      id: 'org',
      resource: 'tokens',
      period: 'month',
      limit: 20_000,
      policy: 'HARD_LIMIT',
    });
    expect(engine.budget('team')!.baseLimit).toBe(5000);
    await expect(engine.deleteBudget('org')).rejects.toThrow(/parent of team/);
    await expect(
      engine.putBudget({
        id: 'bad',
        parent: { id: 'org', allocationPercent: 10 },
        resource: 'requests',
        period: 'day',
        policy: 'HARD_LIMIT',
      }),
    ).rejects.toThrow(/parent.id: .*must match/);
  });

  it('unpriced models: flagged, and cost budgets apply their rule', async () => {
    const { engine } = await makeEngine();
    await engine.putBudget({
      id: 'allow',
      resource: 'cost_usd',
      period: 'day',
      limit: 1,
      policy: 'HARD_LIMIT',
    });
    await engine.putBudget({
      id: 'tokens',
      resource: 'tokens',
      period: 'day',
      limit: 100,
      policy: 'HARD_LIMIT',
    });
    const call = { scope: {}, model: 'mystery-model', estimate: { inputTokens: 10, outputTokens: 10 } };
    const d = await engine.check(call);
    expect(d.unpriced).toBe(true);
    expect(d.allowed).toBe(true);
    await engine.putBudget({
      id: 'deny',
      resource: 'cost_usd',
      period: 'day',
      limit: 1,
      policy: 'HARD_LIMIT',
      unpriced: 'deny',
    });
    const r = await engine.reserve(call);
    expect(r.decision.decision).toBe('deny');
    expect(r.reservation).toBeUndefined();
    expect(r.decision.reasons.join()).toContain('no price');
    // The free local model is priced at zero, not unpriced.
    expect((await engine.reserve({ scope: {}, model: 'local-llama' })).decision.unpriced).toBe(false);
    // Token budgets still apply to unpriced models.
    const [rec1] = await engine.record([
      rec({ requestModel: 'mystery-model', usage: { input: 100, output: 1 } }),
    ]);
    expect(rec1!.cost.unpriced).toBe(true);
    expect(
      (await engine.check({ scope: {}, model: 'mystery-model', estimate: { inputTokens: 1 } })).budgets.find(
        (b) => b.budgetId === 'tokens',
      )!.decision,
    ).toBe('deny');
  });
});
