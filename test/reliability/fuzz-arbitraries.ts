import fc from 'fast-check';
import {
  type Attr,
  metricsProto,
  metricsRequest,
  type SpanSpec,
  tracesJson,
  tracesProto,
} from '../service/otlp/bodies.ts';
import { envInt } from './random.ts';

/**
 * Generators shared by the fuzz tests: protobuf messages built field by field (any field
 * number, any wire type, nested to any depth), valid OTLP bodies, and the ways a body goes
 * wrong on the wire (mutated, truncated, huge varints, deep nesting).
 *
 * BURSAR_FUZZ_SCALE (default 1; `npm run fuzz` uses 20) multiplies every case count.
 */

export const FUZZ_SCALE = envInt('BURSAR_FUZZ_SCALE', 1);
export const runs = (n: number) => Math.max(1, Math.round(n * FUZZ_SCALE));
/** Per test: two minutes at scale 1 (a few seconds is usual), more as the counts grow. */
export const FUZZ_TIMEOUT = 120_000 * Math.max(1, FUZZ_SCALE);

// ---- protobuf wire encoding, written by hand so any field may carry any wire type ----

export function varint(n: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

export type PbValue =
  | { wt: 0; v: bigint }
  | { wt: 1; v: Uint8Array }
  | { wt: 5; v: Uint8Array }
  | { wt: 2; v: Uint8Array }
  | { wt: 2; fields: PbField[] };
export type PbField = { n: number; value: PbValue };

export function encodeFields(fields: readonly PbField[]): Uint8Array {
  const out: number[] = [];
  for (const f of fields) {
    out.push(...varint(BigInt(f.n) * 8n + BigInt(f.value.wt)));
    const v = f.value;
    if (v.wt === 0) out.push(...varint(v.v));
    else if (v.wt === 1 || v.wt === 5) out.push(...v.v);
    else {
      const bytes = 'fields' in v ? encodeFields(v.fields) : v.v;
      out.push(...varint(BigInt(bytes.length)));
      for (const b of bytes) out.push(b);
    }
  }
  return Uint8Array.from(out);
}

/** Strings the decoders look for, so generated KeyValues hit the kept-attribute paths. */
const KEYS = [
  'gen_ai.operation.name',
  'gen_ai.provider.name',
  'gen_ai.system',
  'gen_ai.request.model',
  'gen_ai.response.model',
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.output_tokens',
  'gen_ai.usage.cache_read.input_tokens',
  'gen_ai.agent.name',
  'gen_ai.token.type',
  'gen_ai.client.token.usage',
  'bursar.scope.tenant',
  'service.name',
  'service.instance.id',
  'chat',
  'openai',
  'input',
  '__proto__',
  'constructor',
];
const keyBytes = fc.constantFrom(...KEYS).map((k) => Uint8Array.from(Buffer.from(k)));

const hugeVarint = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.constantFrom(0n, 1n, 127n, 128n, (1n << 53n) + 1n, (1n << 63n) - 1n, (1n << 64n) - 1n, -1n),
);
const fieldNumber = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 1, max: 16 }) },
  { weight: 1, arbitrary: fc.constantFrom(17, 100, 1000, 2 ** 29 - 1) },
);

/** Any protobuf message: every field number, wire type and nesting, biased to OTLP's numbers. */
export const pbMessage: fc.Arbitrary<PbField[]> = fc.letrec<{ message: PbField[]; field: PbField }>(
  (tie) => ({
    field: fc.record({
      n: fieldNumber,
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.record({ wt: fc.constant(0 as const), v: hugeVarint }),
        fc.record({ wt: fc.constant(1 as const), v: fc.uint8Array({ minLength: 8, maxLength: 8 }) }),
        fc.record({ wt: fc.constant(5 as const), v: fc.uint8Array({ minLength: 4, maxLength: 4 }) }),
        fc.record({ wt: fc.constant(2 as const), v: fc.oneof(keyBytes, fc.uint8Array({ maxLength: 24 })) }),
        fc.record({ wt: fc.constant(2 as const), fields: tie('message') }),
      ),
    }) as fc.Arbitrary<PbField>,
    message: fc.array(tie('field') as fc.Arbitrary<PbField>, { maxLength: 4, depthIdentifier: 'pb' }),
  }),
).message;

// ---- valid OTLP bodies ----

const leaf: fc.Arbitrary<Attr> = fc.oneof(
  fc.string({ maxLength: 16 }),
  fc.boolean(),
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e15, max: 1e15 }),
);
const attrValue: fc.Arbitrary<Attr> = fc.oneof(
  { depthSize: 'small' },
  leaf,
  fc.array(leaf, { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('a', 'b'), leaf, { maxKeys: 2 }),
);
const spanKeys = fc.constantFrom(
  'gen_ai.operation.name',
  'gen_ai.provider.name',
  'gen_ai.request.model',
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.output_tokens',
  'gen_ai.agent.name',
  'bursar.scope.tenant',
  'http.url',
);
const genAiAttributes = fc.record({
  'gen_ai.operation.name': fc.constantFrom('chat', 'text_completion', 'embeddings', 'execute_tool'),
  'gen_ai.provider.name': fc.constantFrom('openai', 'anthropic', 'gcp.gemini'),
  'gen_ai.request.model': fc.constantFrom('gpt-4o-mini', 'claude-opus-4-8', 'gemini-3.5-flash', 'nope'),
  'gen_ai.usage.input_tokens': fc.integer({ min: 0, max: 100_000 }),
  'gen_ai.usage.output_tokens': fc.integer({ min: 0, max: 10_000 }),
});
const hex = (bytes: number) =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'));
const spanSpec: fc.Arbitrary<SpanSpec> = fc.record({
  traceId: hex(16),
  spanId: hex(8),
  endMs: fc.integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 }),
  attributes: fc
    .tuple(genAiAttributes, fc.dictionary(spanKeys, attrValue, { maxKeys: 3 }))
    .map(([g, extra]) => ({ ...g, ...extra })),
  status: fc.constantFrom(0, 1, 2),
});
export const tracesSpec = fc.array(
  fc.record({
    attributes: fc.dictionary(fc.constantFrom('service.name', 'bursar.scope.tenant'), leaf, { maxKeys: 2 }),
    scopes: fc.array(fc.record({ spans: fc.array(spanSpec, { minLength: 1, maxLength: 3 }) }), {
      minLength: 1,
      maxLength: 2,
    }),
  }),
  { minLength: 1, maxLength: 2 },
);
export const validTracesProto = tracesSpec.map((s) => tracesProto(s));
export const validTracesJson = tracesSpec.map((s) => tracesJson(s));

const pointSpec = fc.record({
  attributes: fc.record({
    'gen_ai.token.type': fc.constantFrom('input', 'output', 'bogus'),
    'gen_ai.operation.name': fc.constant('chat'),
    'gen_ai.request.model': fc.constantFrom('gpt-4o-mini', 'x'),
  }),
  startMs: fc.constant(1_700_000_000_000),
  timeMs: fc.integer({ min: 1_700_000_000_000, max: 1_700_000_900_000 }),
  sum: fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.double()),
});
const metricsSpec = fc.record({
  resource: fc.record({ 'service.name': fc.string({ maxLength: 8 }) }),
  metrics: fc.array(
    fc.record({
      temporality: fc.constantFrom(1 as const, 2 as const),
      points: fc.array(pointSpec, { maxLength: 3 }),
      exponential: fc.boolean(),
    }),
    { minLength: 1, maxLength: 2 },
  ),
});
export const validMetricsProto = metricsSpec.map((m) => metricsProto(m.resource, m.metrics));
export const validMetricsJson = metricsSpec.map((m) => JSON.stringify(jsonOfMetrics(m.resource, m.metrics)));

/** metricsRequest's object in the OTLP/JSON mapping (int64 as strings, bytes as base64). */
function jsonOfMetrics(resource: Record<string, Attr>, metrics: Parameters<typeof metricsRequest>[1]) {
  return JSON.parse(
    JSON.stringify(metricsRequest(resource, metrics), (key, value: unknown) => {
      if (key === 'stringValue' || key === 'key') return value;
      if (key === 'intValue' && typeof value === 'number') return String(value);
      return value;
    }),
  ) as unknown;
}

// ---- how bodies go wrong ----

export type Mutation =
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; n: number }
  | { kind: 'bump'; at: number; by: number }
  | { kind: 'varint'; at: number; bytes: readonly number[] }
  | { kind: 'splice'; at: number; fields: PbField[] };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 12 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('bump' as const), at: fc.nat(), by: fc.integer({ min: -3, max: 3 }) }),
  // An over-long, overflowing or huge varint where a tag or a length was.
  fc.record({
    kind: fc.constant('varint' as const),
    at: fc.nat(),
    bytes: fc.oneof(
      hugeVarint.map(varint),
      fc.constantFrom(
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
        [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00],
      ),
    ),
  }),
  fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), fields: pbMessage }),
);

export function mutate(body: Uint8Array, ms: readonly Mutation[]): Buffer {
  let b = Buffer.from(body);
  for (const m of ms) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    if (m.kind === 'flip') {
      if (b.length > 0) b[at] = m.byte;
    } else if (m.kind === 'truncate') b = b.subarray(0, at);
    else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
    else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.n)]);
    else if (m.kind === 'bump') {
      if (b.length > 0) b[at] = (b[at]! + m.by + 256) % 256;
    } else if (m.kind === 'varint')
      b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
    else b = Buffer.concat([b.subarray(0, at), encodeFields(m.fields), b.subarray(at)]);
  }
  return b;
}

/** A length-delimited field holding `inner`. */
function wrap(n: number, inner: Uint8Array): Buffer {
  return Buffer.concat([
    Buffer.from(varint(BigInt(n) * 8n + 2n)),
    Buffer.from(varint(BigInt(inner.length))),
    inner,
  ]);
}

/**
 * A trace body whose one GenAI span carries an attribute nested `depth` levels deep
 * (arrays, kvlists, or both) — or, with `unknownField`, a message nested that deep in a
 * field the decoder skips. Built inside out, one level at a time.
 */
export function deepTraceBody(depth: number, shape: 'array' | 'kvlist' | 'mixed' | 'unknownField'): Buffer {
  const str = (n: number, s: string) => wrap(n, Buffer.from(s));
  // AnyValue { string_value: "leaf" }
  let value: Buffer = str(1, 'leaf');
  for (let i = 0; i < depth; i++) {
    const kv = shape === 'kvlist' || (shape === 'mixed' && i % 2 === 1);
    if (shape === 'unknownField') value = wrap(9, value);
    // AnyValue { kvlist_value: KeyValueList { values: KeyValue { key: "k", value } } }
    else if (kv) value = wrap(6, wrap(1, Buffer.concat([str(1, 'k'), wrap(2, value)])));
    // AnyValue { array_value: ArrayValue { values: value } }
    else value = wrap(5, wrap(1, value));
  }
  const kv = (key: string, v: Buffer) => wrap(9, Buffer.concat([str(1, key), wrap(2, v)]));
  const span = Buffer.concat([
    wrap(1, Buffer.alloc(16, 1)),
    wrap(2, Buffer.alloc(8, 2)),
    kv('gen_ai.operation.name', str(1, 'chat')),
    shape === 'unknownField' ? wrap(99, value) : kv('gen_ai.request.model', value),
  ]);
  // ExportTraceServiceRequest { resource_spans { scope_spans { spans } } }
  return wrap(1, wrap(2, wrap(2, span)));
}
