import type OpenAI from 'openai';
import { bursarClient, newClient, otelProviders, plainCall, streamCall } from './instrumentation.bench.ts';

/**
 * A driver for profiling bursar's OpenAI instrumentation (not part of `npm run bench`):
 * the bench's fake fetch and instrumented client, in a tight loop or side by side.
 *
 *   node bench/profile-instrumentation.ts time [passes]
 *       bare vs bursar, plain and streamed, variants interleaved in each pass
 *   node bench/profile-instrumentation.ts ab [rounds]
 *       the same, paired in small batches (the steadier figure on a shared machine)
 *   node bench/profile-instrumentation.ts cpu [rounds]
 *       as ab, in process CPU time, with the no-op-provider variant beside (and, with
 *       BASE=file:///tmp/old/src/, that copy's two variants in the same rounds)
 *   BASE=file:///tmp/old/ node bench/profile-instrumentation.ts ab
 *       bursar loaded from another copy of src/ (`git archive HEAD src` unpacked in
 *       /tmp/old, node_modules linked): run it alternately with the current one
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile-instrumentation.ts loop plain|stream bare|bursar [seconds]
 *       one variant in a loop, for a CPU (or --heap-prof) profile
 *   node bench/profile-instrumentation.ts alloc plain|stream bare|bursar [calls] [out]
 *       sampled allocations (collected ones included) during the calls, then
 *       node bench/profile-heap-report.ts <out> [top] [filter]
 *   node bench/profile-report.ts /tmp/prof/<file>.cpuprofile
 *       top self-time functions of a CPU profile
 */
const [mode = 'time', ...args] = process.argv.slice(2);

/**
 * PROVIDERS=sdk (default) exports to the bench's real OTel SDK pair; PROVIDERS=noop
 * leaves both to the API's no-op globals, PROVIDERS=tracer / meter keeps only one real:
 * the differences split bursar's cost into its own and the SDK's.
 */
async function clients(): Promise<Record<'bare' | 'bursar', OpenAI>> {
  const otel = await otelProviders();
  const { metrics, trace } = await import('@opentelemetry/api');
  const which = process.env.PROVIDERS ?? 'sdk';
  if (which === 'noop' || which === 'meter') otel.tracerProvider = trace.getTracerProvider() as never;
  if (which === 'noop' || which === 'tracer') otel.meterProvider = metrics.getMeterProvider() as never;
  return { bare: newClient(), bursar: await bursarClient(otel, process.env.BASE) };
}

/**
 * Median CPU time (user + system) per call over rounds: steadier than wall time when
 * other processes share the cores, since time spent waiting for a core is not counted.
 */
async function measure(
  _: string,
  op: (n: number) => Promise<void>,
  { batch = 1000, rounds = 15, warmup = 3 } = {},
) {
  for (let i = 0; i < warmup; i++) await op(batch);
  const perOp: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const c0 = process.cpuUsage();
    await op(batch);
    const c = process.cpuUsage(c0);
    perOp.push(((c.user + c.system) * 1e3) / batch);
  }
  perOp.sort((a, b) => a - b);
  return { nsPerOp: perOp[Math.floor(perOp.length / 2)]! };
}

const plainOp = (c: OpenAI) => async (n: number) => {
  for (let i = 0; i < n; i++) await plainCall(c);
};
const streamOp = (c: OpenAI) => async (n: number) => {
  for (let i = 0; i < n; i++) await streamCall(c);
};

if (mode === 'time') {
  const passes = Number(args[0] ?? 5);
  const all = await clients();
  const variants = ['bare', 'bursar'] as const;
  const rows: Record<string, number[]> = {};
  const add = (k: string, ns: number) => (rows[k] ??= []).push(ns);
  for (let p = 0; p < passes; p++) {
    for (const v of variants) add(`${v}P`, (await measure('', plainOp(all[v]), { batch: 1000 })).nsPerOp);
    for (const v of variants) add(`${v}S`, (await measure('', streamOp(all[v]), { batch: 200 })).nsPerOp);
  }
  const med = (k: string) => [...rows[k]!].sort((a, b) => a - b)[Math.floor(rows[k]!.length / 2)]!;
  const µs = (ns: number) => `${(ns / 1e3).toFixed(2)} µs`;
  const pairs = (a: string, b: string) => rows[a]!.map((x, i) => ((rows[b]![i]! - x) / 1e3).toFixed(2));
  console.log(`bare: plain ${µs(med('bareP'))}, streamed ${µs(med('bareS'))}`);
  for (const v of variants.filter((x) => x !== 'bare')) {
    const addP = med(`${v}P`) - med('bareP');
    const addS = med(`${v}S`) - med('bareS');
    console.log(
      `${v}: plain +${µs(addP)}; streamed +${µs(addS)} = ${(addS / 50).toFixed(0)} ns/chunk, net ${((addS - addP) / 50).toFixed(0)} ns/chunk` +
        ` (per pass, plain: ${pairs('bareP', `${v}P`).join(' ')}; streamed: ${pairs('bareS', `${v}S`).join(' ')})`,
    );
  }
} else if (mode === 'ab') {
  // Fine-grained pairing: small batches of each variant in turn, many rounds; the added
  // cost is the median over rounds of (variant − bare) within the same round, which
  // cancels the drift other processes on the machine cause between rounds.
  const rounds = Number(args[0] ?? 200);
  const all = await clients();
  const variants = ['bare', 'bursar'] as const;
  for (const [kind, op, batch] of [
    ['plain', plainOp, 50],
    ['streamed', streamOp, 10],
  ] as const) {
    const per: Record<string, number[]> = {};
    for (const v of variants) await op(all[v])(batch * 20); // warm-up
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 ? [...variants].reverse() : variants;
      for (const v of order) {
        const t0 = process.hrtime.bigint();
        await op(all[v])(batch);
        (per[v] ??= []).push(Number(process.hrtime.bigint() - t0) / batch);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const d = median(per.bursar!.map((x, i) => x - per.bare![i]!));
    const chunk = kind === 'streamed' ? ` (${(d / 50).toFixed(0)} ns/chunk)` : '';
    console.log(
      `${kind}: bare ${(median(per.bare!) / 1e3).toFixed(2)} µs; bursar${process.env.BASE ? ' (BASE)' : ''} +${(d / 1e3).toFixed(2)} µs${chunk}`,
    );
  }
} else if (mode === 'cpu') {
  // As `ab`, in process CPU time (user + system, every thread: GC helpers included), with
  // the no-op-provider variant beside: on a shared machine, time spent waiting for a core
  // is not counted, so rounds disturbed by other processes stay comparable.
  const rounds = Number(args[0] ?? 200);
  const otel = await otelProviders();
  const { metrics, trace } = await import('@opentelemetry/api');
  const noopOtel = {
    tracerProvider: trace.getTracerProvider() as never,
    meterProvider: metrics.getMeterProvider() as never,
    exported: () => 0,
  };
  // With BASE set, the copy at BASE runs beside the current src/ in the same rounds.
  const all: Record<string, OpenAI> = {
    bare: newClient(),
    bursar: await bursarClient(otel),
    noop: await bursarClient(noopOtel),
  };
  if (process.env.BASE) {
    all.baseBursar = await bursarClient(await otelProviders(), process.env.BASE);
    all.baseNoop = await bursarClient(noopOtel, process.env.BASE);
  }
  const variants = Object.keys(all);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const added: Record<string, number> = {};
  for (const [kind, op, batch] of [
    ['plain', plainOp, 50],
    ['streamed', streamOp, 10],
  ] as const) {
    const per: Record<string, number[]> = {};
    for (const v of variants) await op(all[v]!)(batch * 100); // warm-up: until the JIT settles
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 ? [...variants].reverse() : variants;
      for (const v of order) {
        const c0 = process.cpuUsage();
        await op(all[v]!)(batch);
        const c = process.cpuUsage(c0);
        (per[v] ??= []).push(((c.user + c.system) * 1e3) / batch);
      }
    }
    const parts = variants
      .filter((v) => v !== 'bare')
      .map((v) => {
        const d = median(per[v]!.map((x, i) => x - per.bare![i]!));
        added[`${kind}:${v}`] = d;
        return `${v} +${(d / 1e3).toFixed(2)} µs`;
      });
    console.log(`${kind}: bare ${(median(per.bare!) / 1e3).toFixed(2)} µs CPU; ${parts.join('; ')}`);
  }
  for (const v of variants.filter((x) => x !== 'bare')) {
    const net = (added[`streamed:${v}`]! - added[`plain:${v}`]!) / 50;
    console.log(`${v}: per chunk net of the per-call cost ${net.toFixed(0)} ns`);
  }
} else if (mode === 'alloc') {
  // Every allocation sampled, collected or not (--heap-prof keeps only the survivors):
  // what one call churns through, for bench/profile-heap-report.ts.
  const [kind = 'plain', variant = 'bursar', calls = '20000', out = '/tmp/alloc.heapprofile'] = args;
  const c = (await clients())[variant as 'bare' | 'bursar'];
  const op = kind === 'plain' ? plainOp(c) : streamOp(c);
  await op(2000);
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 256,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await op(Number(calls));
  const { profile } = await session.post('HeapProfiler.stopSampling');
  writeFileSync(out, JSON.stringify(profile));
  console.error(`${calls} ${kind} calls (${variant}) -> ${out}`);
} else if (mode === 'loop') {
  const [kind = 'plain', variant = 'bursar', seconds = '5'] = args;
  const c = (await clients())[variant as 'bare' | 'bursar'];
  const op = kind === 'plain' ? plainOp(c) : streamOp(c);
  await op(2000); // warm up
  const until = Date.now() + Number(seconds) * 1000;
  let n = 0;
  while (Date.now() < until) {
    await op(100);
    n += 100;
  }
  console.error(`${n} ${kind} calls (${variant})`);
} else {
  throw new Error(`unknown mode ${mode}`);
}
