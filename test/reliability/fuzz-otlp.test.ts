import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMetrics } from '../../src/service/otlp/decode-metrics.ts';
import { decodeTraces } from '../../src/service/otlp/decode-traces.ts';
import { TracesIngest } from '../../src/service/otlp/ingest-traces.ts';
import { MetricsIngest } from '../../src/service/otlp/metrics-to-records.ts';
import { decodeMetricsJson, decodeTracesJson } from '../../src/service/otlp/otlp-json.ts';
import { Precedence } from '../../src/service/otlp/precedence.ts';
import { ScopeLabeler } from '../../src/service/otlp/scope-labels.ts';
import { SpanRecords, spanDecodeOptions } from '../../src/service/otlp/spans-to-records.ts';
import { OtlpDecodeError } from '../../src/service/otlp/wire-reader.ts';
import { ValidationError } from '../../src/validation/errors.ts';
import { makeEngine } from '../helpers/engine.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { otlpProto } from '../service/otlp/otlp-proto.ts';
import { post, totals } from '../service/otlp/helpers.ts';
import {
  deepTraceBody,
  encodeFields,
  mutate,
  mutation,
  pbMessage,
  runs,
  validMetricsJson,
  validMetricsProto,
  validTracesJson,
  validTracesProto,
  FUZZ_TIMEOUT,
} from './fuzz-arbitraries.ts';

/**
 * Fuzzing the OTLP receiver. In process, the whole path a body takes before its answer —
 * decoding (protobuf wire walk or OTLP/JSON), record building, precedence, nesting, the
 * engine on a memory store — for traces and metrics alike: the only errors allowed are
 * OtlpDecodeError and ValidationError (the receiver's 400); anything else would be
 * answered 503 as if the store had failed. Over HTTP, against the real service: every bad
 * body is answered 4xx with a message, and nothing is counted.
 *
 * ≈52k cases at BURSAR_FUZZ_SCALE=1.
 */

const labeler = new ScopeLabeler(
  { 'service.name': 'agent', 'bursar.scope.tenant': 'tenant' },
  { 'app.user': 'user' },
);
const options = spanDecodeOptions(labeler);
type Refused = { traces: boolean; metrics: boolean };
let pipeline: (body: Buffer, encoding: 'protobuf' | 'json') => Promise<Refused>;
let cases = 0;

beforeAll(async () => {
  const { engine } = await makeEngine();
  const precedence = new Precedence(engine.store, 'spans');
  const traces = new TracesIngest(engine, new SpanRecords(labeler, []), precedence);
  const metrics = new MetricsIngest(engine, labeler, precedence, []);
  /** Runs a body through both signals' paths; says which refused it as bad input. */
  pipeline = async (body, encoding) => {
    cases++;
    const refused: Refused = { traces: false, metrics: false };
    for (const signal of ['traces', 'metrics'] as const) {
      try {
        if (signal === 'traces')
          await traces.ingest(
            encoding === 'protobuf' ? decodeTraces(body, options) : decodeTracesJson(body, options),
          );
        else await metrics.ingest(encoding === 'protobuf' ? decodeMetrics(body) : decodeMetricsJson(body));
      } catch (e) {
        if (e instanceof OtlpDecodeError || e instanceof ValidationError) {
          expect(e.message.length).toBeGreaterThan(0);
          refused[signal] = true;
          continue;
        }
        throw e;
      }
    }
    return refused;
  };
});
afterAll(() => console.log(`fuzz-otlp: ${cases} bodies through the in-process pipeline`));

const seed = Number(process.env.BURSAR_FUZZ_SEED ?? Date.now() % 2 ** 31);
const params = (numRuns: number) => ({ numRuns: runs(numRuns), seed });

describe('OTLP protobuf bodies, in process', { timeout: FUZZ_TIMEOUT }, () => {
  it('random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (b) => {
        await pipeline(Buffer.from(b), 'protobuf');
      }),
      params(10_000),
    );
  });

  it('any protobuf message: every field number and wire type, nested', async () => {
    await fc.assert(
      fc.asyncProperty(pbMessage, async (m) => {
        await pipeline(Buffer.from(encodeFields(m)), 'protobuf');
      }),
      params(10_000),
    );
  });

  it('valid trace and metric bodies, mutated: flipped, cut, spliced, huge varints', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(validTracesProto, validMetricsProto),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        async (body, ms) => {
          await pipeline(mutate(body, ms), 'protobuf');
        },
      ),
      params(12_000),
    );
  });

  it('every prefix of a valid body is refused or read, never more', async () => {
    await fc.assert(
      fc.asyncProperty(validTracesProto, fc.nat(), async (body, at) => {
        const cut = Buffer.from(body).subarray(0, at % (body.length + 1));
        await pipeline(cut, 'protobuf');
      }),
      params(4000),
    );
  });

  it('deep nesting: refused past 32 levels of attribute values, skipped unknown fields at any depth', async () => {
    for (const depth of [1, 31, 32, 33, 100, 1000, 5000]) {
      for (const shape of ['array', 'kvlist', 'mixed'] as const) {
        const refused = await pipeline(deepTraceBody(depth, shape), 'protobuf');
        expect(refused.traces, `${shape} ${depth}`).toBe(depth > 32);
      }
      // A message nested in a field nobody reads is skipped by its length, not walked.
      expect((await pipeline(deepTraceBody(depth, 'unknownField'), 'protobuf')).traces).toBe(false);
    }
  });
});

describe('OTLP/JSON bodies, in process', { timeout: FUZZ_TIMEOUT }, () => {
  it('random JSON values and random text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.json(), fc.string({ maxLength: 200 })), async (text) => {
        await pipeline(Buffer.from(text), 'json');
      }),
      params(4000),
    );
  });

  it('valid bodies with one value replaced anywhere by any JSON value', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(validTracesJson, validMetricsJson),
        fc.nat(),
        fc.jsonValue({ maxDepth: 3 }),
        async (text, at, replacement) => {
          await pipeline(Buffer.from(JSON.stringify(replaceAt(JSON.parse(text), at, replacement))), 'json');
        },
      ),
      params(6000),
    );
  });

  it('valid bodies with their text cut or spliced', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(validTracesJson, validMetricsJson),
        fc.nat(),
        fc.string({ maxLength: 4 }),
        async (text, at, s) => {
          const cut = at % (text.length + 1);
          await pipeline(Buffer.from(text.slice(0, cut) + s + text.slice(cut + s.length)), 'json');
        },
      ),
      params(4000),
    );
  });

  it('deep nesting is refused before anything recursive runs', async () => {
    for (const depth of [10, 200, 100_000]) {
      const body = Buffer.from(`{"resourceSpans":${'['.repeat(depth)}${']'.repeat(depth)}}`);
      expect(await pipeline(body, 'json')).toEqual({ traces: true, metrics: depth > 100 });
    }
  });
});

/** Replaces the `at`-th node (in a walk of the whole value) with `replacement`. */
function replaceAt(root: unknown, at: number, replacement: unknown): unknown {
  const nodes: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v))
      v.forEach((x, i) => {
        nodes.push({ parent: v, key: i });
        walk(x);
      });
    else if (v !== null && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        nodes.push({ parent: v as Record<string, unknown>, key: k });
        walk(x);
      }
  };
  walk(root);
  if (nodes.length === 0) return replacement;
  const { parent, key } = nodes[at % nodes.length]!;
  (parent as Record<string | number, unknown>)[key] = replacement;
  return root;
}

describe(
  'OTLP over HTTP: bad bodies are 4xx with a message and count nothing',
  { timeout: FUZZ_TIMEOUT },
  () => {
    let svc: TestService;
    beforeAll(async () => {
      svc = await startTestService({ log: { level: 'silent' } });
    });
    afterAll(() => svc.stop());

    /** Message of an error answer, in the request's encoding. */
    const messageOf = (contentType: string, body: Buffer): string => {
      if (contentType === 'application/json')
        return String((JSON.parse(body.toString()) as { message: string }).message);
      return String(otlpProto.RpcStatus.toObject(otlpProto.RpcStatus.decode(body)).message ?? '');
    };

    it('mutated protobuf and JSON bodies, plain or gzip', async () => {
      let before = JSON.stringify(await totals(svc));
      let answered = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.tuple(fc.oneof(validTracesProto, validMetricsProto), fc.constant('application/x-protobuf')),
            fc.tuple(
              fc.oneof(validTracesJson, validMetricsJson).map((t) => Buffer.from(t)),
              fc.constant('application/json'),
            ),
          ),
          fc.array(mutation, { minLength: 0, maxLength: 3 }),
          fc.constantFrom('/v1/traces', '/v1/metrics'),
          fc.boolean(),
          async ([body, contentType], ms, route, gzip) => {
            const r = await post(svc.otlpUrl + route, mutate(body, ms), { contentType, gzip });
            answered++;
            expect([200, 400]).toContain(r.status);
            const after = JSON.stringify(await totals(svc));
            if (r.status === 400) {
              expect(messageOf(contentType, r.body).length).toBeGreaterThan(0);
              expect(after).toBe(before);
            }
            before = after;
          },
        ),
        { ...params(2500), timeout: 10_000 },
      );
      console.log(`fuzz-otlp: ${answered} bodies over HTTP`);
    });
  },
);
