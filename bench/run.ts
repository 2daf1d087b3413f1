import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
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
// Other work on the machine moves absolute figures (ratios to same-run baselines less): say how busy it was.
const loadBefore = loadavg()[0]!;
const sections: Section[] = [];
for (const [name, run] of Object.entries(suites)) {
  if (only.length && !only.includes(name)) continue;
  console.error(`bench: ${name}…`);
  sections.push(...(await run()));
}
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${process.platform}`;
const load = `1-minute load average ${loadBefore.toFixed(2)} before the run, ${loadavg()[0]!.toFixed(2)} after (this process's own load included)`;
const doc = [
  '# Benchmark results',
  '',
  `Measured ${new Date().toISOString().slice(0, 10)} on ${machine} with \`npm run bench\`.`,
  'Each row is the median of 15 rounds after warm-up; baselines run in the same process, same run.',
  `Machine load: ${load}.`,
  '',
  ...sections.flatMap((s) => [renderSection(s), '']),
].join('\n');
console.log(doc);
if (process.argv.includes('--write')) writeFileSync(new URL('./RESULTS.md', import.meta.url), doc);
