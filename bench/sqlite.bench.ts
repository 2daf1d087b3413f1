import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BudgetEngine } from '../src/budget/engine.ts';
import { PriceCatalog } from '../src/pricing/catalog.ts';
import { SqliteStore } from '../src/store/sqlite-store.ts';
import { counterKey, type CounterRef, type RecordItem } from '../src/store/store.ts';
import { fmtRate, measure, type Section } from './harness.ts';

/**
 * Durable `record` on SQLite: each call is one usage record through the engine (priced,
 * matched against 3 budgets, 3 counters updated, ledger row written), acknowledged only
 * once its transaction has committed. Callers keep `inFlight` calls outstanding, as
 * concurrent HTTP requests would. Baseline: the same store with batches of one record,
 * i.e. one transaction per record.
 */
async function recordRate(name: string, maxBatch: number, inFlight: number, synchronous: 'FULL' | 'NORMAL') {
  const dir = mkdtempSync(path.join(tmpdir(), 'bursar-bench-'));
  const store = new SqliteStore({ path: path.join(dir, 'bench.db'), maxBatch, synchronous });
  const engine = new BudgetEngine({ store, pricer: new PriceCatalog() });
  await engine.init();
  await engine.putBudget({
    id: 'global',
    resource: 'cost_usd',
    period: 'month',
    limit: 1e9,
    policy: 'HARD_LIMIT',
  });
  await engine.putBudget({
    id: 'per-tenant',
    groupBy: ['tenant'],
    resource: 'tokens',
    period: 'day',
    limit: 1e12,
    policy: 'WARN',
  });
  await engine.putBudget({
    id: 'requests',
    resource: 'requests',
    period: 'hour',
    limit: 1e12,
    policy: 'IGNORE',
  });
  let seq = 0;
  const now = Date.now();
  const one = () => {
    seq += 1;
    return engine.record([
      {
        id: `rec-${seq}`,
        time: now,
        provider: 'openai',
        operation: 'chat',
        requestModel: 'gpt-4o-mini',
        usage: { input: 1200, output: 300, cacheRead: 512 },
        scope: { tenant: `t${seq % 50}`, agent: `a${seq % 7}` },
        durationMs: 850,
      },
    ]);
  };
  const result = await measure(
    name,
    // `inFlight` concurrent clients, each sending its next record when the last is acknowledged.
    async (n) => {
      let started = 0;
      const client = async () => {
        while (started < n) {
          started += 1;
          await one();
        }
      };
      await Promise.all(Array.from({ length: inFlight }, client));
    },
    { batch: maxBatch === 1 ? 2_000 : 20_000, rounds: 7, warmup: 1 },
  );
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return result;
}

/**
 * The store alone: pre-priced records with 3 counter increments each, straight into
 * store.record() from `inFlight` concurrent callers. Separates the store's cost (working
 * copy, batching, SQL) from the engine's.
 */
async function storeRecordRate(name: string, inFlight: number) {
  const dir = mkdtempSync(path.join(tmpdir(), 'bursar-bench-'));
  const store = new SqliteStore({ path: path.join(dir, 'bench.db') });
  await store.init();
  const pricer = new PriceCatalog();
  const ref = (budgetId: string, group: string): CounterRef => ({
    key: counterKey(budgetId, group, 0),
    budgetId,
    group,
    periodStart: 0,
  });
  const now = Date.now();
  let seq = 0;
  const makeItem = (): RecordItem => {
    seq += 1;
    const usage = { input: 1200, output: 300, cacheRead: 512, cacheWrite: 0, cacheWrite1h: 0, reasoning: 0 };
    const unpriced = {
      id: `rec-${seq}`,
      time: now,
      provider: 'openai',
      operation: 'chat',
      requestModel: 'gpt-4o-mini',
      usage,
      scope: { tenant: `t${seq % 50}`, agent: `a${seq % 7}` },
      durationMs: 850,
      usageSource: 'provider' as const,
    };
    const record = { ...unpriced, cost: pricer.price(unpriced) };
    return {
      record,
      increments: [
        { counter: ref('global', ''), used: 5 },
        { counter: ref('per-tenant', `t${seq % 50}`), used: 1500 },
        { counter: ref('requests', ''), used: 1 },
      ],
    };
  };
  const result = await measure(
    name,
    async (n) => {
      const items = Array.from({ length: n }, makeItem);
      let next = 0;
      const client = async () => {
        while (next < n) await store.record([items[next++]!]);
      };
      await Promise.all(Array.from({ length: inFlight }, client));
    },
    { batch: 20_000, rounds: 7, warmup: 1 },
  );
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return result;
}

export async function benchSqlite(): Promise<Section[]> {
  const baseline = await recordRate(
    'one record per transaction (baseline), synchronous=FULL',
    1,
    256,
    'FULL',
  );
  const grouped = await recordRate(
    'group commit (≤8192 per transaction, next batch when the writer is free), synchronous=FULL',
    8192,
    2048,
    'FULL',
  );
  const groupedNormal = await recordRate('group commit, synchronous=NORMAL', 8192, 2048, 'NORMAL');
  const storeOnly = await storeRecordRate(
    'store.record() alone (pre-priced, no engine), group commit, synchronous=FULL',
    2048,
  );
  return [
    {
      title: 'SQLite store: durable usage records with counters updated',
      target: '≥ 80k records/s with group commit',
      rows: [baseline, grouped, groupedNormal, storeOnly],
      notes: [
        `group commit (FULL): ${fmtRate(grouped.opsPerSec)} = ${(grouped.opsPerSec / baseline.opsPerSec).toFixed(1)}× one-per-transaction — target ≥ 80k/s: ${grouped.opsPerSec >= 80_000 ? 'met' : 'NOT met'}`,
      ],
    },
  ];
}
