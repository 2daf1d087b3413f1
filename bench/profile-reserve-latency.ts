// One client, one reservation at a time: reserve + commit latency on each store, no HTTP and
// no other load. Shows what durability itself costs per pair (bench/api.bench.ts adds HTTP,
// the load generator and 2.5k pairs/s on the same 2 cores).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BudgetEngine } from '../src/budget/engine.ts';
import { PriceCatalog } from '../src/pricing/catalog.ts';
import { MemoryStore } from '../src/store/memory-store.ts';
import { SqliteStore } from '../src/store/sqlite-store.ts';
import type { Store } from '../src/store/store.ts';

async function run(name: string, store: Store): Promise<void> {
  const engine = new BudgetEngine({ store, pricer: new PriceCatalog() });
  await engine.init();
  await engine.putBudget({
    id: 'cap',
    resource: 'cost_usd',
    period: 'month',
    limit: 1e9,
    policy: 'HARD_LIMIT',
  });
  const call = {
    scope: { tenant: 'acme', agent: 'a' },
    provider: 'openai',
    model: 'gpt-5.5',
    estimate: { inputTokens: 100, outputTokens: 50 },
  };
  const lat: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const t0 = performance.now();
    const r = await engine.reserve(call);
    if (!r.reservation) throw new Error(`denied: ${r.decision.reasons.join('; ')}`);
    await engine.commit(r.reservation.id, { usage: { input: 90, output: 40 } });
    if (i >= 500) lat.push(performance.now() - t0);
  }
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.floor((lat.length * p) / 100)]!.toFixed(3);
  console.log(`${name}: reserve + commit pair p50 ${q(50)} ms, p99 ${q(99)} ms`);
  await store.close();
}

const dir = mkdtempSync(path.join(tmpdir(), 'bursar-prof-reserve-'));
await run('memory', new MemoryStore());
await run('sqlite FULL', new SqliteStore({ path: path.join(dir, 'full.db') }));
await run('sqlite NORMAL', new SqliteStore({ path: path.join(dir, 'normal.db'), synchronous: 'NORMAL' }));
rmSync(dir, { recursive: true, force: true });
