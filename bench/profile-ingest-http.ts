// The OTLP HTTP ingest path (bench/ingest.bench.ts's first HTTP row) with the service
// thread's CPU per span: `node --cpu-prof bench/profile-ingest-http.ts` for where it goes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig } from '../src/service/config/load-config.ts';
import { createLogger } from '../src/service/log.ts';
import { startService } from '../src/service/service.ts';
import { body, httpRate, startSender } from './ingest.bench.ts';
import { tracesProto } from '../test/service/otlp/bodies.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'bursar-prof-otlp-'));
const config = parseConfig({
  host: '127.0.0.1',
  otlp: { port: 0 },
  api: { port: 0 },
  store: { kind: 'sqlite', dataDir: dir },
  log: { level: 'warn' },
  budgets: [
    { id: 'monthly-cost', resource: 'cost_usd', period: 'month', limit: 1e9, policy: 'HARD_LIMIT' },
    {
      id: 'tenant-tokens',
      groupBy: ['tenant'],
      resource: 'tokens',
      period: 'day',
      limit: 1e12,
      policy: 'WARN',
    },
  ],
});
const service = await startService(config, { log: createLogger('warn') });
const genAi = Buffer.from(tracesProto(body(1)));
const seq = { n: 1 };
const sender = startSender();
for (let i = 0; i < 3; i++) {
  const cpu0 = process.threadCpuUsage();
  const r = await httpRate('GenAI spans, protobuf, 8 in flight', service.otlpUrl, genAi, seq, {}, sender);
  const cpu = process.threadCpuUsage(cpu0);
  const spans = 8 * 40 * 512; // rounds + warm-up, 40 requests of 512 spans each
  console.log(
    `${r.name}: ${Math.round(r.opsPerSec / 1000)}k spans/s; main-thread CPU ${((cpu.user + cpu.system) / spans).toFixed(2)} µs per span `,
  );
}
const [all] = await service.context.engine.store.aggregateUsage({ from: 0, to: 8e12, groupBy: [] });
console.log(`ledger: ${all?.calls ?? 0} calls (expected ${3 * 8 * 40 * 512})`);
await sender.terminate();
await service.close();
rmSync(dir, { recursive: true, force: true });
