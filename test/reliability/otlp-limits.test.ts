import { afterEach, describe, expect, it } from 'vitest';
import { decodeTraces } from '../../src/service/otlp/decode-traces.ts';
import { ScopeLabeler } from '../../src/service/otlp/scope-labels.ts';
import { spanDecodeOptions } from '../../src/service/otlp/spans-to-records.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { type Attr, hexId, metricsProto, tracesJson, tracesProto } from '../service/otlp/bodies.ts';
import { post, totals } from '../service/otlp/helpers.ts';
import { otlpProto, toPlain } from '../service/otlp/otlp-proto.ts';
import { varint as varintBytes } from './fuzz-arbitraries.ts';

const varint = (n: number) => Buffer.from(varintBytes(BigInt(n)));

/**
 * The OTLP receiver's limits, answered as OTLP says a server refuses part or all of a
 * request: body size (413), attribute count per span, data point or resource
 * (otlp.maxAttributes: the item is rejected in partial_success), string lengths (every
 * string read from a span, label or name, is cut to 256 characters), and the memory a
 * request holds counted against otlp.maxInFlightBytes while it is decoded and committed
 * (429 with Retry-After for the others).
 */

const T = Date.UTC(2026, 4, 20, 10);
let svc: TestService | undefined;
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
});

const chat = (extra: Record<string, Attr> = {}): Record<string, Attr> => ({
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o-mini',
  'gen_ai.usage.input_tokens': 10,
  'gen_ai.usage.output_tokens': 1,
  ...extra,
});
const scopeAttributes = (n: number) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`bursar.scope.k${i}`, 'v']));

function partial(body: Buffer): { rejectedSpans?: number; errorMessage?: string } {
  return (toPlain(otlpProto.ExportTraceServiceResponse, body).partialSuccess ?? {}) as never;
}

describe('otlp.maxAttributes', () => {
  it('a span reading more attribute values than the limit is rejected, the others counted', async () => {
    svc = await startTestService({ log: { level: 'silent' }, otlp: { maxAttributes: 16 } });
    const within = hexId(8);
    const tooMany = hexId(8);
    const nested = hexId(8);
    const body = tracesProto([
      {
        scopes: [
          {
            spans: [
              // 5 GenAI attributes + 11 scope labels: exactly at the limit.
              { endMs: T, spanId: within, attributes: chat(scopeAttributes(11)) },
              { endMs: T, spanId: tooMany, attributes: chat(scopeAttributes(12)) },
              // An array value: each element counts.
              { endMs: T, spanId: nested, attributes: chat({ 'gen_ai.agent.name': Array(20).fill('x') }) },
              // Attributes bursar does not read cost nothing and do not count.
              {
                endMs: T,
                attributes: chat(
                  Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`http.h${i}`, 'v'])),
                ),
              },
            ],
          },
        ],
      },
    ]);
    const res = await post(`${svc.otlpUrl}/v1/traces`, body);
    expect(res.status).toBe(200);
    const p = partial(res.body);
    expect(p.rejectedSpans).toBe(2);
    expect(p.errorMessage).toContain(`span ${tooMany}: more than 16 attribute values (otlp.maxAttributes)`);
    expect(p.errorMessage).toContain(`span ${nested}: more than 16 attribute values (otlp.maxAttributes)`);
    expect(await totals(svc)).toMatchObject({ calls: 2, input: 20 });
  });

  it('the same in OTLP/JSON, and a resource over the limit rejects its items', async () => {
    svc = await startTestService({ log: { level: 'silent' }, otlp: { maxAttributes: 16 } });
    const json = tracesJson([{ scopes: [{ spans: [{ endMs: T, attributes: chat(scopeAttributes(12)) }] }] }]);
    const res = await post(`${svc.otlpUrl}/v1/traces`, json, { contentType: 'application/json' });
    expect(res.status).toBe(200);
    const answer = JSON.parse(res.body.toString()) as {
      partialSuccess: { rejectedSpans: string; errorMessage: string };
    };
    expect(answer.partialSuccess.rejectedSpans).toBe('1');
    expect(answer.partialSuccess.errorMessage).toMatch(
      /more than 16 attribute values \(otlp.maxAttributes\)/,
    );

    // Metrics read every resource attribute: 20 of them put the resource over the limit.
    const resource = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k8s.label.${i}`, 'v']));
    const point = {
      attributes: {
        'gen_ai.token.type': 'input',
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
      },
      startMs: T - 60_000,
      timeMs: T,
      sum: 10,
    };
    const metrics = await post(
      `${svc.otlpUrl}/v1/metrics`,
      metricsProto(resource, [{ temporality: 1, points: [point] }]),
    );
    const m = toPlain(otlpProto.ExportMetricsServiceResponse, metrics.body).partialSuccess as {
      rejectedDataPoints: number;
      errorMessage: string;
    };
    expect(m.rejectedDataPoints).toBe(1);
    expect(m.errorMessage).toMatch(/its resource has more than 16 attribute values \(otlp.maxAttributes\)/);
    expect(await totals(svc)).toBeUndefined();
  });

  it('reading an item stops just past the limit: a million tiny values cost what 17 do', () => {
    // One span whose model attribute is an array of a million empty kvlists (4 bytes each on
    // the wire, an object each once read).
    const element = Buffer.from([0x0a, 0x02, 0x32, 0x00]);
    const array = Buffer.concat(Array(1_000_000).fill(element));
    const anyValue = Buffer.concat([Buffer.from([0x2a]), varint(array.length), array]);
    const kv = (key: string, value: Buffer) => {
      const k = Buffer.concat([Buffer.from([0x0a, key.length]), Buffer.from(key)]);
      const inner = Buffer.concat([k, Buffer.from([0x12]), varint(value.length), value]);
      return Buffer.concat([Buffer.from([0x4a]), varint(inner.length), inner]);
    };
    const span = Buffer.concat([
      Buffer.from([0x0a, 16]),
      Buffer.alloc(16, 1),
      Buffer.from([0x12, 8]),
      Buffer.alloc(8, 2),
      kv('gen_ai.operation.name', Buffer.from([0x0a, 4, ...Buffer.from('chat')])),
      kv('gen_ai.request.model', anyValue),
    ]);
    const wrap = (field: number, b: Buffer) =>
      Buffer.concat([Buffer.from([(field << 3) | 2]), varint(b.length), b]);
    const body = wrap(1, wrap(2, wrap(2, span)));
    const options = { ...spanDecodeOptions(new ScopeLabeler({}, {})), maxAttributes: 16 };
    const decoded = decodeTraces(body, options);
    expect(decoded.spans).toHaveLength(1);
    expect(decoded.spans[0]!.values).toBe(17);
    expect(decoded.values).toBe(17);
    // Without a limit every value is read.
    expect(decodeTraces(body, spanDecodeOptions(new ScopeLabeler({}, {}))).spans[0]!.values).toBe(1_000_002);
  });

  it('defaults to 128 and is validated', async () => {
    svc = await startTestService({ log: { level: 'silent' } });
    expect(svc.context.config.otlp.maxAttributes).toBe(128);
    await expect(startTestService({ otlp: { maxAttributes: 0 } })).rejects.toThrow(/otlp.maxAttributes/);
  });
});

describe('string lengths', () => {
  it('every string read from a span is cut to 256 characters: labels and names alike', async () => {
    svc = await startTestService({ log: { level: 'silent' } });
    const body = tracesProto([
      {
        scopes: [
          {
            spans: [
              {
                endMs: T,
                attributes: chat({
                  'gen_ai.agent.name': 'a'.repeat(100_000),
                  'gen_ai.request.model': 'm'.repeat(300),
                }),
              },
            ],
          },
        ],
      },
    ]);
    const res = await post(`${svc.otlpUrl}/v1/traces`, body);
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(0);
    const [record] = await svc.context.engine.store.queryUsage({ from: 0, to: 8e12 });
    expect(record!.scope.agent).toBe('a'.repeat(256));
    expect(record!.requestModel).toBe('m'.repeat(256));
    // An unknown model is unpriced, never free.
    expect(record!.cost.unpriced).toBe(true);
  });

  it('a body over otlp.maxBodyBytes is 413, whatever it holds', async () => {
    svc = await startTestService({ log: { level: 'silent' }, otlp: { maxBodyBytes: 1024 } });
    const res = await post(`${svc.otlpUrl}/v1/traces`, Buffer.alloc(2048));
    expect(res.status).toBe(413);
    expect(String(toPlain(otlpProto.RpcStatus, res.body).message)).toMatch(
      /limit of 1024 bytes \(otlp.maxBodyBytes\)/,
    );
  });
});

describe('otlp.maxInFlightBytes counts what a request decodes to', () => {
  it('a small body that decodes to many values holds the budget until it is answered: others get 429', async () => {
    // 2 000 spans of 6 kept values each: 12 000 values ≈ 1.5 MB decoded, from a ≈500 kB body.
    svc = await startTestService({ log: { level: 'silent' }, otlp: { maxInFlightBytes: 1_000_000 } });
    const engine = svc.context.engine;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const record = engine.recordPriced.bind(engine);
    let entered!: () => void;
    const committing = new Promise<void>((r) => (entered = r));
    engine.recordPriced = async (...args: Parameters<typeof engine.recordPriced>) => {
      entered();
      await gate;
      return record(...args);
    };
    const spans = Array.from({ length: 2000 }, () => ({
      endMs: T,
      attributes: chat({ 'gen_ai.agent.name': 'x' }),
    }));
    const big = tracesProto([{ scopes: [{ spans }] }]);
    expect(big.length).toBeLessThan(600_000);
    const first = post(`${svc.otlpUrl}/v1/traces`, big);
    await committing;
    // The first request's body alone would leave room for this one; what it decoded to does not.
    const second = await post(
      `${svc.otlpUrl}/v1/traces`,
      tracesProto([{ scopes: [{ spans: [{ endMs: T, attributes: chat() }] }] }]),
    );
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('2');
    open();
    expect((await first).status).toBe(200);
    const third = await post(
      `${svc.otlpUrl}/v1/traces`,
      tracesProto([{ scopes: [{ spans: [{ endMs: T, attributes: chat() }] }] }]),
    );
    expect(third.status).toBe(200);
    expect(await totals(svc)).toMatchObject({ calls: 2001 });
  });
});
