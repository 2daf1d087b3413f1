import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMetrics } from '../../../src/service/otlp/decode-metrics.ts';
import { decodeTraces } from '../../../src/service/otlp/decode-traces.ts';
import { decodeMetricsJson, decodeTracesJson } from '../../../src/service/otlp/otlp-json.ts';
import { ScopeLabeler } from '../../../src/service/otlp/scope-labels.ts';
import { spanDecodeOptions } from '../../../src/service/otlp/spans-to-records.ts';
import { OtlpDecodeError } from '../../../src/service/otlp/wire-reader.ts';
import { type Attr, metricsProto, type SpanSpec, tracesJson, tracesProto } from './bodies.ts';
import { otlpProto } from './otlp-proto.ts';

/**
 * Fuzzing the decoders: random bytes, and valid bodies mutated (bytes flipped, truncated,
 * spliced, lengths bumped), never make them throw anything but OtlpDecodeError — no
 * TypeError, RangeError or hang — and valid bodies decode to what protobufjs reads.
 * About 5k runs in all, to keep CI quick.
 */

/** OTLP_FUZZ_SCALE=20 runs each property 20 times as often (for a long local run). */
const SCALE = Number(process.env.OTLP_FUZZ_SCALE ?? 1);
const runs = (n: number) => ({ numRuns: Math.round(n * SCALE) });

const options = spanDecodeOptions(new ScopeLabeler({ 'service.name': 'agent' }, { 'app.user': 'user' }));

function onlyDecodeErrors(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (e instanceof OtlpDecodeError) return true;
    throw e;
  }
}

const decodeAll = (bytes: Uint8Array) => {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  onlyDecodeErrors(() => decodeTraces(b, options));
  onlyDecodeErrors(() => decodeMetrics(b));
  return true;
};

const leaf: fc.Arbitrary<Attr> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.boolean(),
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  // Whole doubles are encoded as int_value: keep them within int64 and exact.
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e15, max: 1e15 }),
);
const value: fc.Arbitrary<Attr> = fc.oneof(
  { depthSize: 'small' },
  leaf,
  fc.array(leaf, { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('a', 'b', 'c'), leaf, { maxKeys: 2 }),
);
const keys = fc.constantFrom(
  'gen_ai.operation.name',
  'gen_ai.provider.name',
  'gen_ai.system',
  'gen_ai.request.model',
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.output_tokens',
  'bursar.scope.tenant',
  'app.user',
  'http.url',
  'x',
);
const span: fc.Arbitrary<SpanSpec> = fc.record({
  traceId: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('hex')),
  spanId: fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => Buffer.from(b).toString('hex')),
  endMs: fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
  attributes: fc.dictionary(keys, value, { maxKeys: 6 }),
  status: fc.constantFrom(0, 1, 2),
});
const request = fc.array(
  fc.record({
    attributes: fc.dictionary(fc.constantFrom('service.name', 'host.name'), leaf, { maxKeys: 2 }),
    scopes: fc.array(
      fc.record({ name: fc.string({ maxLength: 8 }), spans: fc.array(span, { maxLength: 4 }) }),
      {
        maxLength: 2,
      },
    ),
  }),
  { minLength: 1, maxLength: 2 },
);

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 12 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('bump' as const), at: fc.nat(), by: fc.integer({ min: -3, max: 3 }) }),
);

interface Mutation {
  kind: 'flip' | 'truncate' | 'insert' | 'delete' | 'bump';
  at: number;
  byte?: number;
  bytes?: Uint8Array;
  n?: number;
  by?: number;
}

function mutate(body: Uint8Array, ms: Mutation[]): Uint8Array {
  let b = Buffer.from(body);
  for (const m of ms) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    if (m.kind === 'flip') b[at] = m.byte!;
    else if (m.kind === 'truncate') b = b.subarray(0, at);
    else if (m.kind === 'insert')
      b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes!), b.subarray(at)]);
    else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.n!)]);
    else b[at] = (b[at]! + m.by! + 256) % 256;
  }
  return b;
}

describe('OTLP decoders under fuzzing', () => {
  it('random bytes: only OtlpDecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), decodeAll), runs(1500));
  });

  it('mutated valid trace bodies: only OtlpDecodeError', () => {
    fc.assert(
      fc.property(request, fc.array(mutation, { minLength: 1, maxLength: 4 }), (req, ms) =>
        decodeAll(mutate(tracesProto(req), ms)),
      ),
      runs(1500),
    );
  });

  it('mutated valid metric bodies: only OtlpDecodeError', () => {
    const point = fc.record({
      attributes: fc.dictionary(fc.constantFrom('gen_ai.token.type', 'gen_ai.request.model'), leaf, {
        maxKeys: 2,
      }),
      startMs: fc.constant(1_700_000_000_000),
      timeMs: fc.constant(1_700_000_060_000),
      sum: fc.double({ noNaN: true }),
    });
    fc.assert(
      fc.property(
        fc.array(point, { maxLength: 4 }),
        fc.constantFrom(1 as const, 2 as const),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (points, temporality, ms) =>
          decodeAll(mutate(metricsProto({ 'service.name': 's' }, [{ temporality, points }]), ms)),
      ),
      runs(800),
    );
  });

  it('JSON: random values and mutated valid bodies give only OtlpDecodeError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json(),
          request.map((r) => tracesJson(r)),
        ),
        fc.nat(),
        fc.string({ maxLength: 3 }),
        (text, at, s) => {
          const cut = at % (text.length + 1);
          const mutated = Buffer.from(text.slice(0, cut) + s + text.slice(cut + s.length));
          onlyDecodeErrors(() => decodeTracesJson(mutated, options));
          onlyDecodeErrors(() => decodeMetricsJson(mutated));
          return true;
        },
      ),
      runs(800),
    );
  });

  it('valid bodies decode to what protobufjs reads', () => {
    fc.assert(
      fc.property(request, (req) => {
        const body = tracesProto(req);
        const ours = decodeTraces(Buffer.from(body), options);
        const theirs = otlpProto.ExportTraceServiceRequest.toObject(
          otlpProto.ExportTraceServiceRequest.decode(body),
          {
            bytes: String,
            longs: String,
          },
        ) as { resourceSpans?: { scopeSpans?: { spans?: { spanId: string }[] }[] }[] };
        const all = (theirs.resourceSpans ?? []).flatMap((r) =>
          (r.scopeSpans ?? []).flatMap((s) => s.spans ?? []),
        );
        expect(ours.total).toBe(all.length);
        const genAi = req.flatMap((r) =>
          r.scopes.flatMap((s) =>
            s.spans.filter((sp) =>
              ['gen_ai.operation.name', 'gen_ai.provider.name', 'gen_ai.system'].some(
                (k) => k in (sp.attributes ?? {}),
              ),
            ),
          ),
        );
        expect(ours.spans.map((s) => s.spanId)).toEqual(genAi.map((s) => s.spanId));
        for (const [i, s] of ours.spans.entries()) {
          const wanted = Object.fromEntries(
            Object.entries(genAi[i]!.attributes ?? {}).filter(([k]) => k !== 'http.url' && k !== 'x'),
          );
          expect(s.attributes).toEqual(wanted);
          expect(s.traceId).toBe(genAi[i]!.traceId);
        }
        // The JSON encoding of the same request reads the same.
        expect(decodeTracesJson(Buffer.from(tracesJson(req)), options)).toEqual(ours);
      }),
      runs(400),
    );
  });
});
