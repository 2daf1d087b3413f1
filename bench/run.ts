import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { benchApi } from './api.bench.ts';
import { benchEngine } from './engine.bench.ts';
import { benchIngest } from './ingest.bench.ts';
import { renderSection, type Section } from './harness.ts';
import { benchInstrumentation } from './instrumentation.bench.ts';
import { benchMetrics } from './metrics.bench.ts';
import { benchRedis } from './redis.bench.ts';
import { benchSqlite } from './sqlite.bench.ts';

// `npm run bench` prints the figures; `npm run bench -- --write` also rewrites bench/RESULTS.md.
const suites: Record<string, () => Promise<Section[]>> = {
  engine: benchEngine,
  sqlite: benchSqlite,
  instrumentation: benchInstrumentation,
  ingest: benchIngest,
  api: benchApi,
  metrics: benchMetrics,
  redis: benchRedis,
};
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const sections: Section[] = [];
for (const [name, run] of Object.entries(suites)) {
  if (only.length && !only.includes(name)) continue;
  console.error(`bench: ${name}…`);
  sections.push(...(await run()));
}
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${process.platform}`;
const doc = [
  '# Benchmark results',
  '',
  `Measured ${new Date().toISOString().slice(0, 10)} on ${machine} with \`npm run bench\`.`,
  'Each row is the median of 15 rounds after warm-up; baselines run in the same process, same run.',
  '',
  ...sections.flatMap((s) => [renderSection(s), '']),
].join('\n');
console.log(doc);
if (process.argv.includes('--write')) writeFileSync(new URL('./RESULTS.md', import.meta.url), doc);
