import { BudgetEngine, callSchema, commitSchema, reserveSchema } from '../src/budget/engine.ts';
import { PriceCatalog } from '../src/pricing/catalog.ts';
import { MemoryStore } from '../src/store/memory-store.ts';
import { fmtNs, fmtRate, measure, medianOfPasses, type Result, type Section } from './harness.ts';

/** 1,000 budgets: one per tenant (HARD, cost), one per agent (WARN, tokens), a few global ones. */
async function engineWith(budgets: number): Promise<BudgetEngine> {
  const engine = new BudgetEngine({ store: new MemoryStore(), pricer: new PriceCatalog() });
  await engine.init();
  for (let i = 0; i < budgets; i++) {
    const kind = i % 2;
    await engine.putBudget(
      kind === 0
        ? {
            id: `tenant-${i}`,
            selector: { tenant: `t${i}` },
            resource: 'cost_usd',
            period: 'month',
            limit: 1e6,
            policy: 'HARD_LIMIT',
          }
        : {
            id: `agent-${i}`,
            selector: { agent: `a${i}` },
            resource: 'tokens',
            period: 'day',
            limit: 1e12,
            policy: 'WARN',
          },
    );
  }
  return engine;
}

const calls = Array.from({ length: 100 }, (_, i) => ({
  scope: { tenant: `t${(i * 2) % 1000}`, agent: `a${(i * 2 + 1) % 1000}` },
  provider: 'openai',
  model: 'gpt-4o-mini',
  estimate: { inputTokens: 1000, outputTokens: 500 },
}));

export async function benchEngine(): Promise<Section[]> {
  const one = await engineWith(1);
  const thousand = await engineWith(1000);
  const check = (engine: BudgetEngine) => async (n: number) => {
    for (let i = 0; i < n; i++) await engine.check(calls[i % 100]!);
  };
  // The instrumentation's guard and the HTTP layer hand the engine calls they have
  // already validated: the same engine path without the second validation.
  const parsedCalls = calls.map((c) => callSchema.parse(c));
  const parsedReserves = calls.map((c) => reserveSchema.parse(c));
  const parsedUsage = commitSchema.parse({ usage: { input: 900, output: 400 } });
  const c1 = await measure('check, 1 budget defined (baseline)', check(one), { batch: 20_000 });
  const c1000 = await measure('check, 1,000 budgets defined', check(thousand), { batch: 20_000 });
  const c1000p = await measure(
    'checkCall (pre-validated), 1,000 budgets',
    async (n) => {
      for (let i = 0; i < n; i++) await thousand.checkCall(parsedCalls[i % 100]!);
    },
    { batch: 20_000 },
  );

  // Each pair row runs on a fresh engine of its own (so neither inherits the other's
  // ledger), in 3 interleaved passes; a row is the median of its pass medians.
  const validated = async (engine: BudgetEngine, n: number) => {
    for (let i = 0; i < n; i++) {
      const r = await engine.reserve(calls[i % 100]!);
      await engine.commit(r.reservation!.id, { usage: { input: 900, output: 400 } });
    }
  };
  const prevalidated = async (engine: BudgetEngine, n: number) => {
    for (let i = 0; i < n; i++) {
      const r = await engine.reserveCall(parsedReserves[i % 100]!);
      await engine.commitUsage(r.reservation!.id, parsedUsage);
    }
  };
  const passes: Result[][] = [[], []];
  for (let pass = 0; pass < 3; pass++) {
    const a = await engineWith(1000);
    passes[0]!.push(
      await measure('reserve + commit, 1,000 budgets defined', (n) => validated(a, n), {
        batch: 5_000,
        rounds: 9,
      }),
    );
    const b = await engineWith(1000);
    passes[1]!.push(
      await measure('reserveCall + commitUsage (pre-validated), 1,000 budgets', (n) => prevalidated(b, n), {
        batch: 5_000,
        rounds: 9,
      }),
    );
  }
  const [p1000, p1000p] = passes.map(medianOfPasses) as [Result, Result];
  return [
    {
      title: 'Budget engine, in process, memory store',
      target: 'check ≤ 2 µs per call with 1,000 budgets; reserve + commit ≥ 100k pairs/s',
      rows: [c1, c1000, c1000p, p1000, p1000p],
      notes: [
        `check with 1,000 budgets (input validated): ${fmtNs(c1000.nsPerOp)} per call, ${(c1000.nsPerOp / c1.nsPerOp).toFixed(2)}× the 1-budget baseline — target ≤ 2 µs: ${c1000.nsPerOp <= 2000 ? 'met' : 'NOT met'}`,
        `reserve + commit (input validated): ${fmtRate(p1000.opsPerSec)} pairs — target ≥ 100k/s: ${p1000.opsPerSec >= 100_000 ? 'met' : 'NOT met'}`,
        'Each call matches 2 of the 1,000 budgets (one per tenant, one per agent); calls rotate over 100 scopes. Every commit prices the usage, updates both counters, checks thresholds and keeps the record in the ledger.',
      ],
    },
  ];
}
