import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { PriceCatalog } from '../src/pricing/catalog.ts';
import { parseConfig } from '../src/service/config/load-config.ts';
import { createLogger } from '../src/service/log.ts';
import { decodeTraces } from '../src/service/otlp/decode-traces.ts';
import { NestedCalls } from '../src/service/otlp/nested-calls.ts';
import { decodeTracesJson } from '../src/service/otlp/otlp-json.ts';
import { ScopeLabeler } from '../src/service/otlp/scope-labels.ts';
import { SpanRecords, spanDecodeOptions } from '../src/service/otlp/spans-to-records.ts';
import { startService } from '../src/service/service.ts';
import { SqliteStore } from '../src/store/sqlite-store.ts';
import type { RecordItem } from '../src/store/store.ts';
import { usageRecordFromSpan } from '../src/usage/from-span.ts';
import { type ResourceSpec, type SpanSpec, tracesJson, tracesProto } from '../test/service/otlp/bodies.ts';
import { otlpProto } from '../test/service/otlp/otlp-proto.ts';
import { fmtNs, fmtRate, measure, type Result, type Section } from './harness.ts';
import type { SendJob } from './ingest-http-worker.ts';

/**
 * OTLP span ingest. In process: request bodies of 512 spans decoded by the receiver's
 * selective wire walk and turned into validated, priced usage records (summed), beside a
 * full protobufjs decode of the same bodies (its schema written from the OTLP field
 * numbers, test/service/otlp/otlp-proto.ts). Over HTTP: the real service (SQLite, group
 * commit, synchronous=FULL) answering an HTTP client that keeps several bodies in flight,
 * in the same process; every span is new (trace ids rewritten per request), so every
 * GenAI span is a durable ledger row and counter updates.
 */

const SPANS_PER_BODY = 512;
const T = Date.UTC(2026, 4, 20, 10);

const RESOURCE = {
  'service.name': 'support-agent',
  'service.version': '2.4.1',
  'service.instance.id': 'pod-7f9c',
  'telemetry.sdk.language': 'nodejs',
  'telemetry.sdk.name': 'opentelemetry',
  'telemetry.sdk.version': '3.1.0',
  'host.name': 'ip-10-0-12-34',
  'host.arch': 'amd64',
  'process.pid': 4242,
  'process.runtime.name': 'nodejs',
  'process.runtime.version': '24.1.0',
  'bursar.scope.tenant': 'acme',
};

/** A span as bursar's instrumentation emits it for a chat call. */
function genAiSpan(i: number): SpanSpec {
  return {
    name: 'chat gpt-5.5',
    endMs: T + i,
    parentSpanId: randomBytes(8).toString('hex'),
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': i % 3 === 0 ? 'anthropic' : 'openai',
      'gen_ai.request.model': i % 3 === 0 ? 'claude-sonnet-4-6' : 'gpt-5.5',
      'gen_ai.request.max_tokens': 1024,
      'gen_ai.request.temperature': 0.2,
      'server.address': 'api.openai.com',
      'server.port': 443,
      'gen_ai.response.id': `chatcmpl-${randomBytes(12).toString('hex')}`,
      'gen_ai.response.model': i % 3 === 0 ? 'claude-sonnet-4-6' : 'gpt-5.5-2026-04-01',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 1200 + (i % 500),
      'gen_ai.usage.output_tokens': 300 + (i % 100),
      'gen_ai.usage.cache_read.input_tokens': 512,
      'gen_ai.usage.reasoning.output_tokens': 64,
      'bursar.usage.source': 'provider',
      'bursar.cost.usd': 0.0123,
      'bursar.scope.agent': `agent-${i % 7}`,
    },
  };
}

/** An ordinary span (HTTP client), as in any instrumented service. */
function otherSpan(i: number): SpanSpec {
  return {
    name: 'GET',
    endMs: T + i,
    parentSpanId: randomBytes(8).toString('hex'),
    attributes: {
      'http.request.method': 'GET',
      'url.full': `https://inventory.internal/api/v2/items/${i}?expand=stock`,
      'server.address': 'inventory.internal',
      'server.port': 443,
      'http.response.status_code': 200,
      'network.protocol.version': '1.1',
      'user_agent.original': 'undici',
    },
  };
}

export function body(genAiShare: number): ResourceSpec[] {
  const spans = Array.from({ length: SPANS_PER_BODY }, (_, i) =>
    i % Math.round(1 / genAiShare) === 0 ? genAiSpan(i) : otherSpan(i),
  );
  return [{ attributes: RESOURCE, scopes: [{ name: 'bursar', spans }] }];
}

/** What the receiver does before the store: decode, records, nesting, price, (here) sum. */
function inProcess() {
  const labeler = new ScopeLabeler({ 'service.name': 'agent', 'bursar.scope.tenant': 'tenant' }, {});
  const options = spanDecodeOptions(labeler);
  const records = new SpanRecords(labeler, []);
  const nested = new NestedCalls();
  const pricer = new PriceCatalog();
  const totals = { input: 0, output: 0, nanoUsd: 0, records: 0 };
  const ingest = (decoded: ReturnType<typeof decodeTraces>) => {
    const plan = records.plan(decoded);
    const verdict = nested.classify(plan.items);
    for (let i = 0; i < plan.items.length; i++) {
      if (verdict.nested[i]) continue;
      const r = plan.items[i]!.record;
      totals.input += r.usage.input;
      totals.output += r.usage.output;
      totals.nanoUsd += pricer.price(r).nanoUsd;
      totals.records += 1;
    }
  };
  /** Only the conversion the target names: span attributes → usage record, summed. */
  const recordsOnly = (decoded: ReturnType<typeof decodeTraces>) => {
    for (const span of decoded.spans) {
      const r = usageRecordFromSpan({
        traceId: span.traceId,
        spanId: span.spanId,
        endTime: span.endNs / 1e6,
        durationMs: (span.endNs - span.startNs) / 1e6,
        attributes: span.attributes,
      });
      if (!r) continue;
      totals.input += r.usage.input;
      totals.output += r.usage.output;
      totals.records += 1;
    }
  };
  return { options, ingest, recordsOnly, totals };
}

/** The in-process bodies and stages, for profiling scripts. */
export function inProcessParts() {
  return {
    genAi: Buffer.from(tracesProto(body(1))),
    p: inProcess(),
    full: otlpProto.ExportTraceServiceRequest,
    decodeTraces,
  };
}

async function inProcessSection(): Promise<Section> {
  const genAi = Buffer.from(tracesProto(body(1)));
  const mixed = Buffer.from(tracesProto(body(0.25)));
  const genAiJson = Buffer.from(tracesJson(body(1)));
  const p = inProcess();
  const perSpan = (name: string, fn: () => void) =>
    measure(
      name,
      (n) => {
        for (let i = 0; i < n / SPANS_PER_BODY; i++) fn();
      },
      { batch: SPANS_PER_BODY * 40, rounds: 15, warmup: 3 },
    );
  const full = otlpProto.ExportTraceServiceRequest;
  const rows: Result[] = [
    await perSpan('GenAI spans: wire walk → validated, priced usage records, summed', () =>
      p.ingest(decodeTraces(genAi, p.options)),
    ),
    await perSpan(
      'GenAI spans: wire walk → usage records (usageRecordFromSpan), summed; no validation, nesting or pricing',
      () => p.recordsOnly(decodeTraces(genAi, p.options)),
    ),
    await perSpan('GenAI spans: wire walk decode only', () => decodeTraces(genAi, p.options)),
    await perSpan('GenAI spans: protobufjs full decode (baseline, no records)', () => full.decode(genAi)),
    await perSpan('GenAI spans as OTLP/JSON: parse, validate, records, summed', () =>
      p.ingest(decodeTracesJson(genAiJson, p.options)),
    ),
    await perSpan('mixed body (25% GenAI): wire walk → records, per span of any kind', () =>
      p.ingest(decodeTraces(mixed, p.options)),
    ),
    await perSpan('mixed body (25% GenAI): protobufjs full decode (baseline)', () => full.decode(mixed)),
  ];
  const [ours, recordsOnly, , baseline] = rows;
  return {
    title: 'OTLP ingest in process: GenAI spans decoded and turned into usage records',
    target: '≥ 500k GenAI spans/s on one core',
    rows,
    notes: [
      `bodies of ${SPANS_PER_BODY} spans (${(genAi.length / 1024).toFixed(0)} KB protobuf, ${(genAiJson.length / 1024).toFixed(0)} KB JSON for GenAI; ${(mixed.length / 1024).toFixed(0)} KB mixed)`,
      `the receiver's whole path before the store ${fmtRate(ours!.opsPerSec)} = ${(ours!.opsPerSec / baseline!.opsPerSec).toFixed(1)}× the protobufjs full decode alone — target ≥ 500k/s: ${ours!.opsPerSec >= 500_000 ? 'met' : 'NOT met'}; decode + records only: ${fmtRate(recordsOnly!.opsPerSec)} (${recordsOnly!.opsPerSec >= 500_000 ? 'met' : 'NOT met'})`,
      `checksum: ${p.totals.records} records summed`,
    ],
  };
}

/** Offsets of every 16-byte trace id in a body, to make each request's spans new. */
function traceIdOffsets(bodyBytes: Buffer): number[] {
  const decoded = full().decode(bodyBytes) as unknown as {
    resourceSpans: { scopeSpans: { spans: { traceId: Uint8Array }[] }[] }[];
  };
  const out: number[] = [];
  for (const rs of decoded.resourceSpans)
    for (const ss of rs.scopeSpans)
      for (const s of ss.spans) out.push(bodyBytes.indexOf(Buffer.from(s.traceId)));
  return out;
}
const full = () => otlpProto.ExportTraceServiceRequest;

/** Fresh copies of a body, each with new trace ids (a counter in the first 8 bytes). */
export function freshBodies(template: Buffer, count: number, seq: { n: number }, gzip: boolean): Buffer[] {
  const offsets = traceIdOffsets(template);
  return Array.from({ length: count }, () => {
    // A copy that owns its whole ArrayBuffer (Buffer.from may share the pool's), so it can be transferred.
    const b = Buffer.from(new Uint8Array(template));
    for (const o of offsets) b.writeBigUInt64BE(BigInt(++seq.n), o);
    return gzip ? Buffer.from(new Uint8Array(gzipSync(b, { level: 1 }))) : b;
  });
}

export async function httpRate(
  name: string,
  url: string,
  template: Buffer,
  seq: { n: number },
  options: { gzip?: boolean; inFlight?: number },
  sender: Worker,
): Promise<Result> {
  const inFlight = options.inFlight ?? 8;
  const requests = Math.max(40, 4 * inFlight);
  const rounds = 7;
  const warmup = 1;
  // Bodies for every round made before timing: the sender's own work is only the sending.
  const pool = freshBodies(template, requests * (rounds + warmup), seq, options.gzip ?? false);
  return measure(
    name,
    async () => {
      const bodies = pool.splice(0, requests);
      const job: SendJob = { url: `${url}/v1/traces`, bodies, inFlight, gzip: options.gzip ?? false };
      sender.postMessage(
        job,
        bodies.map((b) => b.buffer as ArrayBuffer),
      );
      const [reply] = (await once(sender, 'message')) as [{ ok: boolean; error?: string }];
      if (!reply.ok) throw new Error(`OTLP sender: ${reply.error}`);
    },
    { batch: requests * SPANS_PER_BODY, rounds, warmup },
  );
}

/** The exporters' side, in a worker thread (bench/ingest-http-worker.ts). */
export function startSender(): Worker {
  return new Worker(new URL('./ingest-http-worker.ts', import.meta.url));
}

/**
 * The durable store alone, in the same run: SqliteStore.record() with 512 pre-priced records
 * per call and 8 calls in flight — the ceiling for GenAI spans, each of which is a new row.
 */
async function storeCeiling(): Promise<Result> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bursar-bench-otlp-store-'));
  const store = new SqliteStore({ path: path.join(dir, 'bench.db') });
  await store.init();
  const pricer = new PriceCatalog();
  let seq = 0;
  const item = (): RecordItem => {
    seq += 1;
    const record = {
      // Random like OTLP trace and span ids: sequential ids would flatter any index on them.
      id: `${randomBytes(16).toString('hex')}:${randomBytes(8).toString('hex')}`,
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
  const perRound = 40;
  const rounds = 7;
  const warmup = 1;
  // Records for every round made before timing (ids and prices are not the store's work).
  const pool = Array.from({ length: perRound * (rounds + warmup) }, () =>
    Array.from({ length: SPANS_PER_BODY }, item),
  );
  const result = await measure(
    'ceiling: SqliteStore.record() alone, 512 pre-priced records per call, 8 in flight',
    async () => {
      const calls = pool.splice(0, perRound);
      let next = 0;
      const client = async () => {
        while (next < calls.length) await store.record(calls[next++]!);
      };
      await Promise.all(Array.from({ length: 8 }, client));
    },
    { batch: perRound * SPANS_PER_BODY, rounds, warmup },
  );
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return result;
}

export async function httpSection(): Promise<Section> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bursar-bench-otlp-'));
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
  const seq = { n: 1 };
  const genAi = Buffer.from(tracesProto(body(1)));
  const mixed = Buffer.from(tracesProto(body(0.25)));
  const sender = startSender();
  const cpu0 = process.threadCpuUsage();
  const first = await httpRate(
    'GenAI spans, protobuf, 8 requests in flight',
    service.otlpUrl,
    genAi,
    seq,
    {},
    sender,
  );
  const cpu = process.threadCpuUsage(cpu0);
  const rows = [
    first,
    await httpRate(
      'GenAI spans, protobuf, 32 in flight',
      service.otlpUrl,
      genAi,
      seq,
      { inFlight: 32 },
      sender,
    ),
    await httpRate(
      'GenAI spans, protobuf + gzip, 8 in flight',
      service.otlpUrl,
      genAi,
      seq,
      { gzip: true },
      sender,
    ),
    await httpRate('mixed body (25% GenAI), protobuf, 8 in flight', service.otlpUrl, mixed, seq, {}, sender),
    await httpRate(
      'mixed body (25% GenAI), protobuf, 32 in flight',
      service.otlpUrl,
      mixed,
      seq,
      { inFlight: 32 },
      sender,
    ),
  ];
  await sender.terminate();
  // Every round of the first row (warm-up included): 40 requests of SPANS_PER_BODY spans, 8 rounds.
  const serviceCpuPerSpan = ((cpu.user + cpu.system) * 1000) / (8 * 40 * SPANS_PER_BODY);
  const records = await service.context.engine.store.aggregateUsage({ from: 0, to: 8e12, groupBy: [] });
  await service.close();
  rows.push(await storeCeiling());
  rmSync(dir, { recursive: true, force: true });
  const [plain] = rows;
  return {
    title: 'OTLP ingest over HTTP end to end (real service, SQLite, durable before each 200)',
    target: '≥ 250k spans/s on one core',
    rows,
    notes: [
      `per span; ${SPANS_PER_BODY} spans per request, bodies prepared before timing and sent from a worker thread (the exporters); the service's event loop has the main thread, its SQLite writer a thread of its own; the 2 cores are shared by the three`,
      `service main-thread CPU per GenAI span (first row, process.threadCpuUsage, robust to other load): ${fmtNs(serviceCpuPerSpan)} = ${fmtRate(1e9 / serviceCpuPerSpan)} on one fully busy core`,
      `GenAI protobuf: ${fmtRate(plain!.opsPerSec)} — target ≥ 250k/s: ${plain!.opsPerSec >= 250_000 ? 'met' : 'NOT met'}; every GenAI span is a new durable ledger row; the store's own rate is the last row`,
      `checksum: ${records[0]?.calls ?? 0} calls in the ledger`,
    ],
  };
}

export async function benchIngest(): Promise<Section[]> {
  return [await inProcessSection(), await httpSection()];
}
