import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { TracerProvider } from '@opentelemetry/sdk-trace';
import OpenAI from 'openai';
// Types only (erased): the modules themselves are loaded on demand, see bursarClient.
import type * as OpenAIAdapter from '../src/instrumentation/providers/openai.ts';
import type * as Telemetry from '../src/instrumentation/telemetry.ts';
import type * as Catalog from '../src/pricing/catalog.ts';
import { fmtNs, measure, type Result, type Section } from './harness.ts';

/**
 * What bursar's OpenAI instrumentation adds to a call, against the bare SDK and against
 * peer instrumentations, all in one process on the same calls. The provider is a fake
 * `fetch` in the same process (a canned chat.completions JSON, or an SSE body of 50
 * content chunks and a usage chunk), so the SDK's own work is the whole baseline and
 * every added microsecond is the instrumentation's. The instrumented variants export
 * to a real OTel SDK (TracerProvider + BatchSpanProcessor, MeterProvider + reader)
 * whose span exporter counts and drops spans, so memory stays flat.
 *
 * Only node built-ins, the harness and openai are imported statically: the OTel SDK,
 * bursar and the peers are loaded on demand, so the RSS children (this file run as a
 * script) load exactly what their variant needs.
 */

const CHUNKS = 50;
const MODEL = 'gpt-4o-mini';
const peersDir = fileURLToPath(new URL('./peers/', import.meta.url));
const selfPath = fileURLToPath(import.meta.url);
const requireHere = createRequire(import.meta.url);
const openaiMain = requireHere.resolve('openai');
const openaiVersion = (
  JSON.parse(readFileSync(path.join(path.dirname(openaiMain), 'package.json'), 'utf8')) as { version: string }
).version;

// ---- the fake provider ----------------------------------------------------------------

const usage = {
  prompt_tokens: 1200,
  completion_tokens: 300,
  total_tokens: 1500,
  prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
  completion_tokens_details: {
    reasoning_tokens: 128,
    audio_tokens: 0,
    accepted_prediction_tokens: 0,
    rejected_prediction_tokens: 0,
  },
};
const completionJson = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'gpt-4o-mini-2024-07-18',
  system_fingerprint: 'fp_bench',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Hello there, how can I help?', refusal: null },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage,
});
const chunk = (delta: object, finish: string | null, extra: object = {}) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'gpt-4o-mini-2024-07-18',
    system_fingerprint: 'fp_bench',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...extra,
  })}\n\n`;
const sseBytes = new TextEncoder().encode(
  Array.from({ length: CHUNKS }, (_, i) =>
    chunk(
      i === 0 ? { role: 'assistant', content: 'tok ' } : { content: 'tok ' },
      i === CHUNKS - 1 ? 'stop' : null,
    ),
  ).join('') +
    `data: ${JSON.stringify({
      id: 'chatcmpl-bench',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [],
      usage,
    })}\n\n` +
    'data: [DONE]\n\n',
);
const jsonHeaders = { 'content-type': 'application/json', 'x-request-id': 'req_bench' };
const sseHeaders = { 'content-type': 'text/event-stream', 'x-request-id': 'req_bench' };

const fakeFetch = async (_url: unknown, init?: { body?: unknown }): Promise<Response> => {
  if (typeof init?.body === 'string' && init.body.includes('"stream":true')) {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(sseBytes);
        c.close();
      },
    });
    return new Response(body, { status: 200, headers: sseHeaders });
  }
  return new Response(completionJson, { status: 200, headers: jsonHeaders });
};

export const newClient = () =>
  new OpenAI({ apiKey: 'sk-bench', fetch: fakeFetch as typeof fetch, maxRetries: 0 });

const messages = [
  { role: 'system' as const, content: 'You are terse.' },
  { role: 'user' as const, content: 'Say hello.' },
];
export const plainCall = (c: OpenAI) => c.chat.completions.create({ model: MODEL, messages, max_tokens: 64 });
// include_usage asked for explicitly: every variant sends the same request and reads 51 chunks.
export const streamCall = async (c: OpenAI) => {
  const s = await c.chat.completions.create({
    model: MODEL,
    messages,
    max_tokens: 64,
    stream: true,
    stream_options: { include_usage: true },
  });
  let n = 0;
  for await (const _ of s) n++;
  return n;
};

// ---- OTel SDK providers ---------------------------------------------------------------

export interface Otel {
  tracerProvider: TracerProvider;
  meterProvider: MeterProvider;
  /** Spans the exporter received (and dropped). */
  exported: () => number;
}

let contextInstalled = false;

/** A real SDK pair as NodeSDK would build it; the span exporter counts and drops. */
export async function otelProviders(): Promise<Otel> {
  const { context } = await import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { ExportResultCode } = await import('@opentelemetry/core');
  const { BatchSpanProcessor, TracerProvider } = await import('@opentelemetry/sdk-trace');
  const { AggregationTemporality, MeterProvider, MetricReader } = await import('@opentelemetry/sdk-metrics');
  if (!contextInstalled) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    contextInstalled = true;
  }
  let exported = 0;
  const exporter = {
    export(spans: unknown[], done: (r: { code: number }) => void) {
      exported += spans.length;
      done({ code: ExportResultCode.SUCCESS });
    },
    shutdown: async () => {},
    forceFlush: async () => {},
  };
  // A pull reader nobody collects from: aggregation happens, export does not.
  class IdleReader extends MetricReader {
    constructor() {
      super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
    }
    protected override async onForceFlush(): Promise<void> {}
    protected override async onShutdown(): Promise<void> {}
  }
  return {
    tracerProvider: new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter })] }),
    meterProvider: new MeterProvider({ readers: [new IdleReader()] }),
    exported: () => exported,
  };
}

/**
 * bursar's OpenAI instrumentation on a new client. `dir` is the folder of modules to load:
 * src/ by default, or another copy (an older src/ to compare with, or compiled .js as
 * the package ships it, which Node loads without stripping types).
 */
export async function bursarClient(
  otel: Otel,
  dir = new URL('../src/', import.meta.url).href,
): Promise<OpenAI> {
  const base = dir.endsWith('/') ? dir : `${dir}/`;
  const ext = existsSync(new URL('instrumentation/telemetry.ts', base)) ? 'ts' : 'js';
  const load = (p: string) => import(new URL(`${p}.${ext}`, base).href);
  const { instrumentOpenAIClient } = (await load('instrumentation/providers/openai')) as typeof OpenAIAdapter;
  const { GenAiTelemetry } = (await load('instrumentation/telemetry')) as typeof Telemetry;
  const { PriceCatalog } = (await load('pricing/catalog')) as typeof Catalog;
  const telemetry = new GenAiTelemetry(new PriceCatalog(), {
    tracerProvider: otel.tracerProvider,
    meterProvider: otel.meterProvider,
  });
  return instrumentOpenAIClient(newClient(), telemetry);
}

// ---- peers (bench/peers, a separate npm project) ---------------------------------------

interface PeerArgs {
  OpenAI: typeof OpenAI;
  openaiVersion: string;
  openaiMain: string;
  tracerProvider: unknown;
  meterProvider: unknown;
}
interface Peers {
  wireOpenLIT(a: PeerArgs): {
    name: string;
    ranges: string[];
    supported: boolean;
    patch: () => boolean;
    unpatch: () => void;
  };
  wireContrib(a: PeerArgs): {
    name: string;
    ranges: string[];
    supported: boolean;
    patchedOnRequire: boolean;
  };
}

const PEERS_INSTALL = 'npm ci --prefix bench/peers';

/** bench/peers/wire.mjs, installing bench/peers first if needed; a reason string if that fails. */
async function loadPeers(): Promise<Peers | string> {
  if (!existsSync(new URL('./peers/node_modules/openlit/package.json', import.meta.url))) {
    console.error(`bench: peers not installed; running \`${PEERS_INSTALL}\`…`);
    try {
      execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], {
        cwd: peersDir,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    } catch (error) {
      return `peers not installed (\`${PEERS_INSTALL}\` failed: ${(error as Error).message.split('\n')[0]}); run it and re-run \`node bench/run.ts instrumentation\``;
    }
  }
  try {
    const specifier = new URL('./peers/wire.mjs', import.meta.url).href;
    return (await import(specifier)) as Peers;
  } catch (error) {
    return `could not load bench/peers/wire.mjs: ${(error as Error).message}; try \`${PEERS_INSTALL}\``;
  }
}

function peerArgs(otel: Otel): PeerArgs {
  return {
    OpenAI,
    openaiVersion,
    openaiMain,
    tracerProvider: otel.tracerProvider,
    meterProvider: otel.meterProvider,
  };
}

// ---- timing ---------------------------------------------------------------------------

const PLAIN_BATCH = 1_000;
const STREAM_BATCH = 200;

const plainOp = (c: OpenAI) => async (n: number) => {
  for (let i = 0; i < n; i++) await plainCall(c);
};
const streamOp = (c: OpenAI) => async (n: number) => {
  for (let i = 0; i < n; i++) await streamCall(c);
};

/** Exported spans per call over a short run: proof the variant really traced the call. */
async function spansPerCall(otel: Otel, call: () => Promise<unknown>): Promise<number> {
  await otel.tracerProvider.forceFlush();
  const before = otel.exported();
  for (let i = 0; i < 100; i++) await call();
  await otel.tracerProvider.forceFlush();
  return (otel.exported() - before) / 100;
}

const us = (ns: number) => `${(ns / 1e3).toFixed(2)} µs`;
const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');

/** Several passes, variants interleaved within each; a row is the median of its passes' medians. */
const PASSES = 3;
function combine(name: string, passes: Result[]): Result {
  const by = (k: keyof Result) => passes.map((r) => r[k] as number).sort((a, b) => a - b);
  const nsPerOp = by('nsPerOp')[Math.floor(passes.length / 2)]!;
  return { name, nsPerOp, opsPerSec: 1e9 / nsPerOp, minNs: by('minNs')[0]!, maxNs: by('maxNs').at(-1)! };
}

export async function benchInstrumentation(): Promise<Section[]> {
  const notes: string[] = [];
  const bare = newClient();
  if ((await streamCall(bare)) !== CHUNKS + 1) throw new Error('fake SSE body: wrong chunk count');
  const bursarOtel = await otelProviders();
  const bursar = await bursarClient(bursarOtel);
  // The same instrumentation with the API's no-op providers: bursar's own work per call,
  // without what the OTel SDK charges for recording the span and the metric points.
  const { metrics, trace } = await import('@opentelemetry/api');
  const bursarNoop = await bursarClient({
    tracerProvider: trace.getTracerProvider() as TracerProvider,
    meterProvider: metrics.getMeterProvider() as MeterProvider,
    exported: () => 0,
  });

  // Peers patch the OpenAI prototypes (every client, the bare one too), so within each pass
  // OpenLIT is patched only around its own rows and unpatched before the next bare row.
  const peers = await loadPeers();
  let lit: ReturnType<Peers['wireOpenLIT']> | undefined;
  let litOtel: Otel | undefined;
  const litClient = newClient();
  if (typeof peers === 'string') notes.push(`Peers not measured: ${peers}.`);
  else {
    try {
      litOtel = await otelProviders();
      lit = peers.wireOpenLIT(peerArgs(litOtel));
      const took = lit.patch();
      const spans = await spansPerCall(litOtel, () => plainCall(litClient));
      const streamSpans = await spansPerCall(litOtel, () => streamCall(litClient));
      lit.unpatch();
      notes.push(
        `${lit.name}: declares openai ${lit.ranges.join(' || ')} (covers ${openaiVersion}: ${lit.supported ? 'yes' : 'no'}); exported ${spans.toFixed(2)} / ${streamSpans.toFixed(2)} spans per plain / streamed call. Wired without openlit.init(): its OpenLIT OpenAI instrumentation class, given the same kind of providers, config set directly (no content capture, no events, a gpt-4o-mini price), manualPatch() on the ESM OpenAI class the benchmark calls.`,
      );
      if (!took || spans < 1) {
        notes.push(`${lit.name}: manualPatch() did not take; not measured.`);
        lit = undefined;
      }
    } catch (error) {
      notes.push(`OpenLIT not measured: ${(error as Error).message}.`);
      lit?.unpatch();
      lit = undefined;
    }
    try {
      const contrib = peers.wireContrib(peerArgs(await otelProviders()));
      notes.push(
        `${contrib.name}: declares openai ${contrib.ranges.join(' || ')}, so it does not instrument openai ${openaiVersion} (range check: ${contrib.supported ? 'in range' : 'out of range'}; enabled, then \`require('openai')\` from bursar's node_modules: ${contrib.patchedOnRequire ? 'patched' : 'not patched'}). No figure: on openai 7 it records nothing.`,
      );
    } catch (error) {
      notes.push(`@opentelemetry/instrumentation-openai not checked: ${(error as Error).message}.`);
    }
  }

  const runs: Record<string, Result[]> = {};
  const add = (key: string, r: Result) => (runs[key] ??= []).push(r);
  const plain = { batch: PLAIN_BATCH };
  const stream = { batch: STREAM_BATCH };
  for (let pass = 0; pass < PASSES; pass++) {
    add('bareP', await measure('', plainOp(bare), plain));
    add('bursarP', await measure('', plainOp(bursar), plain));
    add('noopP', await measure('', plainOp(bursarNoop), plain));
    add('bareS', await measure('', streamOp(bare), stream));
    add('bursarS', await measure('', streamOp(bursar), stream));
    add('noopS', await measure('', streamOp(bursarNoop), stream));
    if (lit) {
      lit.patch();
      try {
        add('litP', await measure('', plainOp(litClient), plain));
        add('litS', await measure('', streamOp(litClient), stream));
      } finally {
        lit.unpatch();
      }
    }
  }
  const bareP = combine('bare openai SDK (baseline)', runs.bareP!);
  const bursarP = combine('bursar instrumentOpenAIClient', runs.bursarP!);
  const bareS = combine(`bare openai SDK, ${CHUNKS} chunks + usage chunk (baseline)`, runs.bareS!);
  const bursarS = combine('bursar instrumentOpenAIClient, streamed', runs.bursarS!);
  const noopP = combine('bursar instrumentOpenAIClient, no-op OTel providers', runs.noopP!);
  const noopS = combine('bursar instrumentOpenAIClient, no-op OTel providers, streamed', runs.noopS!);
  const plainRows = [bareP, bursarP, noopP];
  const streamRows = [bareS, bursarS, noopS];
  const bursarSpans = await spansPerCall(bursarOtel, () => plainCall(bursar));
  const bursarStreamSpans = await spansPerCall(bursarOtel, () => streamCall(bursar));

  const addP = bursarP.nsPerOp - bareP.nsPerOp;
  const addS = bursarS.nsPerOp - bareS.nsPerOp;
  const netChunk = (addS - addP) / CHUNKS;
  const ownP = noopP.nsPerOp - bareP.nsPerOp;
  const ownS = noopS.nsPerOp - bareS.nsPerOp;
  const head = [
    `bursar adds ${us(addP)} per plain call (${((addP / bareP.nsPerOp) * 100).toFixed(1)}% of the bare ${us(bareP.nsPerOp)}) — target ≤ 5 µs: ${verdict(addP <= 5000)}`,
    `bursar adds ${us(addS)} per streamed call; per chunk, net of the per-call cost, (${us(addS)} − ${us(addP)}) / ${CHUNKS} = ${fmtNs(netChunk)} — target ≤ 0.3 µs per chunk: ${verdict(netChunk <= 300)} (gross, (instrumented − bare) / ${CHUNKS}: ${fmtNs(addS / CHUNKS)})`,
    `Of that, bursar's own work (the same calls with the API's no-op tracer and meter providers): ${us(ownP)} per plain call, ${us(ownS)} per streamed call (${fmtNs((ownS - ownP) / CHUNKS)} per chunk net); the rest is what the OTel SDK charges to record the span and the metric points the semconv asks for (a duration and two token-usage points per call; per stream, the time to first chunk and the mean time per chunk) — about 1 µs per histogram point, most of it the SDK serializing the attribute set to JSON to find its aggregation on every record (its keys sorted: already in order, the sort saves under 5%), and per span the SDK validating and copying each attribute (twice for those given at start) and holding the ended span until its batch is exported.`,
    `bursar exported ${bursarSpans.toFixed(2)} / ${bursarStreamSpans.toFixed(2)} spans per plain / streamed call (span, metrics and a priced usage record on every call).`,
  ];
  if (lit && runs.litP && runs.litS) {
    const litP = combine(`${lit.name} (OpenLIT OpenAI instrumentation)`, runs.litP);
    const litS = combine(`${lit.name}, streamed`, runs.litS);
    plainRows.push(litP);
    streamRows.push(litS);
    const pAdd = litP.nsPerOp - bareP.nsPerOp;
    const sAdd = litS.nsPerOp - bareS.nsPerOp;
    head.push(
      `${lit.name} adds ${us(pAdd)} per plain call, ${us(sAdd)} per streamed call (${fmtNs((sAdd - pAdd) / CHUNKS)} per chunk net, ${fmtNs(sAdd / CHUNKS)} gross).`,
      `Against the best working peer (${lit.name}, the only one that instruments openai 7): plain ${(addP / pAdd).toFixed(2)}× its added cost — target ≤ 0.25×: ${verdict(addP <= 0.25 * pAdd)}; streamed ${(addS / sAdd).toFixed(2)}× — target ≤ 0.25×: ${verdict(addS <= 0.25 * sAdd)}`,
    );
  } else {
    head.push('Against the best peer: no working peer measured, target not assessed.');
  }

  const rss = await rssNotes();
  return [
    {
      title: 'OpenAI instrumentation overhead, plain chat.completions',
      target: '≤ 5 µs added per call; ≤ 0.25× the best peer’s added cost',
      rows: plainRows,
      notes: [
        ...head,
        ...notes,
        `Fake in-process fetch (canned JSON with cached and reasoning tokens); openai ${openaiVersion}; OTel SDK TracerProvider + BatchSpanProcessor (span exporter counts and drops) and MeterProvider with an idle pull reader; AsyncLocalStorage context manager installed for every row. Batches of ${PLAIN_BATCH} plain / ${STREAM_BATCH} streamed calls, sequential; ${PASSES} passes with the variants interleaved, each row the median of its passes' medians (min–max over all rounds).`,
      ],
    },
    {
      title: `OpenAI instrumentation overhead, streamed chat.completions (${CHUNKS} chunks + usage) and resident memory`,
      target: '≤ 0.3 µs added per streamed chunk; ≤ 10 MB RSS added',
      rows: streamRows,
      notes: [
        'Added costs and verdicts per call and per chunk are in the notes of the section above.',
        ...rss,
      ],
    },
  ];
}

// ---- RSS: each variant in its own child process ------------------------------------------

type Variant = 'bare' | 'otel' | 'bursar' | 'bursarJs' | 'openlit';
const RSS_CALLS = 5_000;

/**
 * Child side: load what the variant needs, run calls, report RSS after GC. Two readings
 * after the run: after ordinary forced GCs, and after V8's memory-reducing GC (the one
 * it runs under memory pressure). Back-to-back calls make V8 grow the young generation
 * (its semi-spaces) with the allocation rate and what survives scavenges; ordinary GC
 * leaves that capacity mapped, empty. The memory-reducing GC gives it back, so its
 * reading is what the process holds: live heap, code, native memory.
 */
async function rssChild(variant: Variant): Promise<void> {
  let client = newClient();
  if (variant !== 'bare') {
    const otel = await otelProviders();
    if (variant === 'bursar') client = await bursarClient(otel);
    if (variant === 'bursarJs') client = await bursarClient(otel, process.env.BURSAR_BENCH_JS_DIR);
    if (variant === 'openlit') {
      const peers = await loadPeers();
      if (typeof peers === 'string') throw new Error(peers);
      peers.wireOpenLIT(peerArgs(otel));
    }
  }
  const gc = (globalThis as { gc?: (o?: object) => void }).gc!;
  const settle = async (reduce: boolean) => {
    for (let i = 0; i < 4; i++) {
      if (reduce) gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
      else gc();
      await new Promise((r) => setImmediate(r));
    }
    return process.memoryUsage();
  };
  const run = async (n: number) => {
    for (let i = 0; i < n; i++) {
      await plainCall(client);
      if (i % 5 === 0) await streamCall(client);
    }
  };
  await run(500);
  const early = await settle(false);
  await run(RSS_CALLS);
  const late = await settle(false);
  const reduced = await settle(true);
  process.stdout.write(
    JSON.stringify({ early: early.rss, late: late.rss, reduced: reduced.rss, heap: reduced.heapUsed }),
  );
}

interface Rss {
  early: number;
  late: number;
  /** RSS after the memory-reducing GC, at the end. */
  reduced: number;
  /** Live JS heap after GC, at the end. */
  heap: number;
}

async function rssOf(variant: Variant, jsDir?: string): Promise<Rss> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', selfPath], {
    env: {
      ...process.env,
      BURSAR_BENCH_RSS_CHILD: variant,
      ...(jsDir ? { BURSAR_BENCH_JS_DIR: jsDir } : {}),
    },
  });
  return JSON.parse(stdout) as Rss;
}

/**
 * bursar compiled to JavaScript as the package ships it (`tsc`, the build's settings),
 * into a temporary folder whose node_modules links to this one: the modules the
 * instrumentation imports, nothing else. Loaded from its TypeScript sources instead, Node
 * strips the types of every file with a WebAssembly compiler whose memory grows with the
 * files it has stripped and is never given back, which no user of the package pays.
 */
export function buildBursarJs(): { dir: string; cleanup: () => void } | string {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const out = mkdtempSync(path.join(tmpdir(), 'bursar-bench-js-'));
  const cleanup = () => rmSync(out, { recursive: true, force: true });
  try {
    symlinkSync(path.join(root, 'node_modules'), path.join(out, 'node_modules'), 'dir');
    const entries = [
      'instrumentation/providers/openai.ts',
      'instrumentation/telemetry.ts',
      'pricing/catalog.ts',
    ];
    const config = path.join(out, 'tsconfig.json');
    writeFileSync(
      config,
      JSON.stringify({
        extends: path.join(root, 'tsconfig.build.json'),
        compilerOptions: {
          rootDir: path.join(root, 'src'),
          outDir: path.join(out, 'src'),
          declaration: false,
          sourceMap: false,
        },
        include: [],
        files: entries.map((e) => path.join(root, 'src', e)),
      }),
    );
    try {
      execFileSync(process.execPath, [requireHere.resolve('typescript/bin/tsc'), '-p', config], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      // tsc exits non-zero on a type error but still emits; only a missing output fails.
      if (!existsSync(path.join(out, 'src', 'instrumentation', 'telemetry.js'))) throw error;
    }
    return { dir: pathToFileURL(path.join(out, 'src')).href + '/', cleanup };
  } catch (error) {
    cleanup();
    return `could not compile bursar to JavaScript: ${(error as Error).message.split('\n')[0]}`;
  }
}

async function rssNotes(): Promise<string[]> {
  const variants: Variant[] = ['bare', 'otel', 'bursar', 'bursarJs', 'openlit'];
  const runs = 3;
  const got: Partial<Record<Variant, Rss>> = {};
  const failed: string[] = [];
  const js = buildBursarJs();
  if (typeof js === 'string') failed.push(`bursarJs: ${js}`);
  try {
    for (const v of variants) {
      if (v === 'bursarJs' && typeof js === 'string') continue;
      const samples: Rss[] = [];
      try {
        for (let i = 0; i < runs; i++)
          samples.push(await rssOf(v, typeof js === 'string' ? undefined : js.dir));
        const med = (k: keyof Rss) => samples.map((s) => s[k]).sort((a, b) => a - b)[1]!;
        got[v] = { early: med('early'), late: med('late'), reduced: med('reduced'), heap: med('heap') };
      } catch (error) {
        failed.push(`${v}: ${(error as Error).message.split('\n').at(-2) ?? (error as Error).message}`);
      }
    }
  } finally {
    if (typeof js !== 'string') js.cleanup();
  }
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
  const label: Record<Variant, string> = {
    bare: 'bare openai SDK',
    otel: 'openai + OTel SDK providers, not instrumented',
    bursar: 'openai + OTel SDK + bursar instrumentation (from its TypeScript sources)',
    bursarJs: 'openai + OTel SDK + bursar instrumentation (compiled JavaScript, as the package ships)',
    openlit: 'openai + OTel SDK + OpenLIT instrumentation',
  };
  const notes = variants
    .filter((v) => got[v])
    .map(
      (v) =>
        `${label[v]}: RSS ${mb(got[v]!.reduced)} after ${RSS_CALLS + 500} plain + ${(RSS_CALLS + 500) / 5} streamed calls and a memory-reducing GC (${mb(got[v]!.late)} after ordinary GC; ${mb(got[v]!.early)} after the first 500 + 100); live JS heap ${mb(got[v]!.heap)}`,
    );
  const alone = (v: Variant) =>
    got.otel ? `; bursar alone (over openai + OTel SDK): ${mb(got[v]!.reduced - got.otel.reduced)}` : '';
  if (got.bare && got.bursarJs) {
    const total = got.bursarJs.reduced - got.bare.reduced;
    notes.push(
      `Added RSS of bursar's instrumentation including the OTel SDK, as the package ships it (compiled JavaScript), after the memory-reducing GC: ${mb(total)} — target ≤ 10 MB: ${verdict(total <= 10 * 2 ** 20)}${alone('bursarJs')}.`,
    );
  }
  if (got.bare && got.bursar) {
    notes.push(
      `Loaded from its TypeScript sources instead (what \`node\` on this repository runs; Node strips the types of each file with a WebAssembly compiler whose memory grows with the files stripped and is never given back): ${mb(got.bursar.reduced - got.bare.reduced)} added${alone('bursar')}. Live JS heap added: ${mb(got.bursar.heap - got.bare.heap)}. After ordinary GC the difference is ${mb(got.bursar.late - got.bare.late)}: young-generation capacity V8 grows during the burst of back-to-back calls (more objects survive scavenges: ended spans wait in the BatchSpanProcessor queue) and keeps mapped but empty until a memory-reducing GC; bench/profile-rss.ts shows it by heap space.`,
    );
  }
  if (got.otel && got.openlit)
    notes.push(
      `OpenLIT alone (over openai + OTel SDK), after the memory-reducing GC: ${mb(got.openlit.reduced - got.otel.reduced)} (${mb(got.openlit.late - got.otel.late)} after ordinary GC)`,
    );
  notes.push(
    `Each variant runs in its own child (\`node --expose-gc\`), RSS read after forced GCs; median of ${runs} children. The compiled variant is bursar's instrumentation modules built by \`tsc\` with the package's build settings into a temporary folder (node_modules linked), loaded in place of src/.`,
    ...failed.map((f) => `RSS child failed — ${f}`),
  );
  return notes;
}

const childVariant = process.env.BURSAR_BENCH_RSS_CHILD as Variant | undefined;
if (childVariant && process.argv[1] === selfPath) await rssChild(childVariant);
