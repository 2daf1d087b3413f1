import { BudgetEngine, type Pricer } from '../../src/budget/engine.ts';
import { computeCost } from '../../src/pricing/cost.ts';
import { type ModelPrice, usdPerMTokToPico } from '../../src/pricing/price.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import type { Store } from '../../src/store/store.ts';
import { effectiveModel } from '../../src/usage/usage-record.ts';

/** A fixed two-model price list: $1/M input, $2/M output; a free local model. */
export const TEST_PRICES: Record<string, ModelPrice> = {
  'test-model': {
    model: 'test-model',
    provider: 'openai',
    effectiveFrom: '2026-01-01',
    source: 'test fixture',
    input: usdPerMTokToPico(1),
    output: usdPerMTokToPico(2),
  },
  'local-llama': {
    model: 'local-llama',
    provider: 'ollama',
    effectiveFrom: '2026-01-01',
    source: 'test fixture',
    input: 0,
    output: 0,
    free: true,
  },
};

export const testPricer: Pricer = {
  version: 'test-1',
  price: (r) =>
    computeCost({
      usage: r.usage,
      price: TEST_PRICES[effectiveModel(r)],
      catalogVersion: 'test-1',
      providerNanoUsd: r.providerCostNanoUsd,
    }),
};

/** A controllable clock. */
export class FakeClock {
  t: number;
  constructor(iso = '2026-03-15T12:00:00Z') {
    this.t = Date.parse(iso);
  }
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
  set(iso: string): void {
    this.t = Date.parse(iso);
  }
}

export async function makeEngine(opts: { store?: Store; clock?: FakeClock; customLabels?: string[] } = {}) {
  const clock = opts.clock ?? new FakeClock();
  const store = opts.store ?? new MemoryStore();
  const engine = new BudgetEngine({
    store,
    pricer: testPricer,
    now: clock.now,
    customLabels: opts.customLabels,
  });
  await engine.init();
  return { engine, clock, store };
}

let seq = 0;
/** A usage record input with sensible defaults. */
export function rec(over: Record<string, unknown> = {}) {
  seq += 1;
  return {
    id: `r${seq}-${Math.random().toString(36).slice(2)}`,
    time: Date.parse('2026-03-15T12:00:00Z'),
    provider: 'openai',
    operation: 'chat',
    requestModel: 'test-model',
    usage: { input: 1000, output: 500 },
    scope: { tenant: 'acme' },
    durationMs: 1200,
    ...over,
  };
}
