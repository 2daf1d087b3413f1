import { getHeapSpaceStatistics } from 'node:v8';
import { bursarClient, newClient, otelProviders, plainCall, streamCall } from './instrumentation.bench.ts';

/**
 * Where a variant's resident memory sits, for the RSS figures of the instrumentation
 * bench: RSS, V8 heap capacity by space against what is live in it, and memory outside
 * the JS heap, at start, after loading, after the warm-up calls and after the run.
 *
 *   node --expose-gc bench/profile-rss.ts bare|otel|bursar [calls=5000] [root]
 *
 * `root` loads bursar's src/ from another copy (a file: URL), e.g. the compiled dist/
 * is not comparable (different paths), but an older `git archive` is.
 */
const [variant = 'bursar', callsArg = '5000', root] = process.argv.slice(2);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const mb = (b: number) => (b / 2 ** 20).toFixed(1);

// REDUCE=1: V8's memory-reducing full GC (what it runs under memory pressure), which
// also gives back young-generation capacity grown during the run; else a plain gc().
const reduce = process.env.REDUCE === '1';
async function snapshot(label: string): Promise<void> {
  for (let i = 0; i < 4; i++) {
    if (reduce) (gc as (o: object) => void)({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    else gc!();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  // Resident pages by kind: anonymous (heap, malloc) vs file-backed (the node binary's
  // code and data pages the process has touched, shared with other processes).
  const { readFileSync } = await import('node:fs');
  const smaps = readFileSync('/proc/self/smaps_rollup', 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(smaps)?.[1] ?? 0) * 1024;
  const spaces = getHeapSpaceStatistics()
    .filter((s) => s.space_size > 2 ** 20)
    .map((s) => `${s.space_name.replace('_space', '')} ${mb(s.space_size)}/${mb(s.space_used_size)}`)
    .join(', ');
  console.log(
    `${label.padEnd(12)} rss ${mb(m.rss)} (anon ${mb(kb('Anonymous'))}, file ${mb(kb('Rss') - kb('Anonymous'))})  heap ${mb(m.heapTotal)} total / ${mb(m.heapUsed)} used  external ${mb(m.external)} (buffers ${mb(m.arrayBuffers)})  outside heap ${mb(m.rss - m.heapTotal)}  [${spaces}]`,
  );
}

await snapshot('start');
// PRELOAD=zod,ajv: load these first in any variant, to see how much of bursar's
// footprint is the validation libraries its usage and pricing modules import.
for (const spec of (process.env.PRELOAD ?? '').split(',').filter(Boolean)) await import(spec);
let client = newClient();
if (variant !== 'bare') {
  const otel = await otelProviders();
  if (variant === 'bursar') client = await bursarClient(otel, root);
}
await snapshot('loaded');
const run = async (n: number) => {
  for (let i = 0; i < n; i++) {
    await plainCall(client);
    if (i % 5 === 0) await streamCall(client);
  }
};
await run(500);
await snapshot('early');
await run(Number(callsArg));
await snapshot('late');
