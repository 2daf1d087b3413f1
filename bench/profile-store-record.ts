// Where SqliteStore.record() spends its time: main-thread CPU per record vs wall time per record.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PriceCatalog } from '../src/pricing/catalog.ts';
import { SqliteStore } from '../src/store/sqlite-store.ts';
import type { RecordItem } from '../src/store/store.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'bursar-prof-store-'));
const store = new SqliteStore({ path: path.join(dir, 'p.db') });
await store.init();
const pricer = new PriceCatalog();
let seq = 0;
const T = Date.UTC(2026, 10, 2);
const item = (): RecordItem => {
  seq += 1;
  const record = {
    id: `${randomBytes(16).toString('hex')}:${seq.toString(16).padStart(16, '0')}`,
    time: T,
    provider: 'openai',
    operation: 'chat',
    requestModel: 'gpt-5.5',
    usage: { input: 1200, output: 300, cacheRead: 512, cacheWrite: 0, cacheWrite1h: 0, reasoning: 64 },
    scope: { tenant: 'acme', agent: `agent-${seq % 7}` },
    durationMs: 800,
    usageSource: 'provider' as const,
  };
  return { record: { ...record, cost: pricer.price(record) }, increments: [] };
};
for (let round = 0; round < 8; round++) {
  const calls = Array.from({ length: 100 }, () => Array.from({ length: 512 }, item));
  const cpu0 = process.threadCpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < calls.length) await store.record(calls[next++]!);
    }),
  );
  const t1 = performance.now();
  const cpu = process.threadCpuUsage(cpu0);
  const n = 100 * 512;
  console.log(
    `round ${round}: wall ${(((t1 - t0) * 1000) / n).toFixed(2)} µs/rec, main-thread CPU ${((cpu.user + cpu.system) / n).toFixed(2)} µs/rec`,
  );
}
await store.close();
rmSync(dir, { recursive: true, force: true });
