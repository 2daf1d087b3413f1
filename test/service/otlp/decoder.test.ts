import { describe, expect, it } from 'vitest';
import { decodeMetrics } from '../../../src/service/otlp/decode-metrics.ts';
import { decodeTraces } from '../../../src/service/otlp/decode-traces.ts';
import { decodeMetricsJson, decodeTracesJson } from '../../../src/service/otlp/otlp-json.ts';
import { ScopeLabeler } from '../../../src/service/otlp/scope-labels.ts';
import { spanDecodeOptions } from '../../../src/service/otlp/spans-to-records.ts';
import { OtlpDecodeError, WireReader } from '../../../src/service/otlp/wire-reader.ts';
import { metricsProto, type ResourceSpec, tracesJson, tracesProto } from './bodies.ts';
import { otlpProto } from './otlp-proto.ts';

/** The wire walk and the JSON reader against hand-made and protobufjs-encoded bodies. */

export const decodeOptions = spanDecodeOptions(
  new ScopeLabeler({ 'service.name': 'agent', 'bursar.scope.tenant': 'tenant' }, { 'app.user': 'user' }),
);

const decodeError = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OtlpDecodeError);
    return (e as Error).message;
  }
  throw new Error('expected an OtlpDecodeError');
};

const T = Date.UTC(2026, 4, 20, 10);

const request: ResourceSpec[] = [
  {
    attributes: { 'service.name': 'planner', 'host.name': 'box', 'bursar.scope.tenant': 'acme' },
    scopes: [
      {
        name: 'bursar',
        spans: [
          {
            traceId: 'a'.repeat(32),
            spanId: 'b'.repeat(16),
            parentSpanId: 'c'.repeat(16),
            endMs: T,
            attributes: {
              'gen_ai.operation.name': 'chat',
              'gen_ai.provider.name': 'openai',
              'gen_ai.request.model': 'gpt-5.5',
              'gen_ai.usage.input_tokens': 1200,
              'gen_ai.usage.output_tokens': 300,
              'gen_ai.usage.cost': 0.25,
              'gen_ai.input.messages': 'x'.repeat(10_000),
              'http.url': 'https://example.com',
              'gen_ai.response.finish_reasons': ['stop', 'length'],
              'app.user': 'u-1',
              'bursar.scope.project': 'alpha',
              nested: { a: [1, 2, { b: true }] },
            },
            status: 2,
          },
          { attributes: { 'http.method': 'GET', 'db.system': 'postgres' } },
        ],
      },
    ],
  },
];

describe('protobuf wire walk', () => {
  it('keeps GenAI spans with the attributes bursar reads, and counts the rest', () => {
    const decoded = decodeTraces(Buffer.from(tracesProto(request)), decodeOptions);
    expect(decoded.total).toBe(2);
    expect(decoded.spans).toHaveLength(1);
    const [s] = decoded.spans;
    expect(s).toMatchObject({
      scope: 'bursar',
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      parentSpanId: 'c'.repeat(16),
      startNs: (T - 500) * 1e6,
      endNs: T * 1e6,
      statusCode: 2,
    });
    expect(s!.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-5.5',
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 300,
      'gen_ai.usage.cost': 0.25,
      'app.user': 'u-1',
      'bursar.scope.project': 'alpha',
    });
    expect(s!.resource.attributes).toEqual({ 'service.name': 'planner', 'bursar.scope.tenant': 'acme' });
  });

  it('reads the same as the OTLP/JSON reader', () => {
    const fromProto = decodeTraces(Buffer.from(tracesProto(request)), decodeOptions);
    const fromJson = decodeTracesJson(Buffer.from(tracesJson(request)), decodeOptions);
    expect(fromJson).toEqual(fromProto);
  });

  it('decodes int64 across the whole range, negative ones included', () => {
    for (const n of [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1, -1, -300, -(2 ** 53) + 1]) {
      const body = tracesProto([
        {
          scopes: [
            { spans: [{ attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': n } }] },
          ],
        },
      ]);
      expect(
        decodeTraces(Buffer.from(body), decodeOptions).spans[0]!.attributes['gen_ai.usage.input_tokens'],
      ).toBe(n);
    }
  });

  it('accepts fields in any order and skips unknown fields of every wire type', () => {
    // Span: attributes before ids, plus unknown fields 20 (varint), 21 (fixed64), 22 (len), 23 (fixed32).
    const kv = Buffer.from([
      0x0a,
      0x15,
      ...Buffer.from('gen_ai.operation.name'),
      0x12,
      0x06,
      0x0a,
      0x04,
      ...Buffer.from('chat'),
    ]);
    const span = Buffer.concat([
      Buffer.from([0x4a, kv.length]),
      kv,
      Buffer.from([0xa0, 0x01, 0x96, 0x01]),
      Buffer.from([0xa9, 0x01, 1, 2, 3, 4, 5, 6, 7, 8]),
      Buffer.from([0xb2, 0x01, 0x02, 0xff, 0xff]),
      Buffer.from([0xbd, 0x01, 1, 2, 3, 4]),
      Buffer.from([0x12, 0x08]),
      Buffer.from('bbbbbbbb'.repeat(2), 'hex'),
      Buffer.from([0x0a, 0x10]),
      Buffer.from('a'.repeat(32), 'hex'),
    ]);
    const scopeSpans = Buffer.concat([Buffer.from([0x12, span.length]), span]);
    const resourceSpans = Buffer.concat([Buffer.from([0x12, scopeSpans.length]), scopeSpans]);
    const body = Buffer.concat([Buffer.from([0x0a, resourceSpans.length]), resourceSpans]);
    const [s] = decodeTraces(body, decodeOptions).spans;
    expect(s).toMatchObject({
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      attributes: { 'gen_ai.operation.name': 'chat' },
    });
  });

  it('refuses malformed bodies with the field that was wrong', () => {
    const good = Buffer.from(tracesProto(request));
    expect(decodeError(() => decodeTraces(good.subarray(0, good.length - 3), decodeOptions))).toMatch(
      /resource_spans\[0\].*(truncated|runs past)/,
    );
    expect(decodeError(() => decodeTraces(Buffer.from([0x00]), decodeOptions))).toMatch(/field number 0/);
    expect(decodeError(() => decodeTraces(Buffer.from([0x0b]), decodeOptions))).toMatch(/wire type 3/);
    expect(decodeError(() => decodeTraces(Buffer.from([0x0f]), decodeOptions))).toMatch(/wire type 7/);
    expect(
      decodeError(() => decodeTraces(Buffer.from([0x08, ...Array(10).fill(0xff), 0x01]), decodeOptions)),
    ).toMatch(/varint/);
    expect(decodeError(() => decodeTraces(Buffer.from([0x0a, 0x05, 0x01]), decodeOptions))).toMatch(
      /runs past/,
    );
    // resource_spans with the wrong wire type (varint).
    expect(decodeError(() => decodeTraces(Buffer.from([0x08, 0x01]), decodeOptions))).toMatch(
      /resource_spans \(field 1\) has wire type varint, expected length-delimited/,
    );
  });

  it('reads varints exactly at the 64-bit edge and refuses an overflowing tenth byte', () => {
    const max = Buffer.from([...Array(9).fill(0xff), 0x01]);
    const r = new WireReader(max);
    expect(r.uint()).toBe(2 ** 64 - 1);
    expect(decodeError(() => new WireReader(Buffer.from([...Array(9).fill(0xff), 0x02])).uint())).toMatch(
      /overflows 64 bits/,
    );
    expect(new WireReader(Buffer.from([...Array(9).fill(0xff), 0x01])).int()).toBe(-1);
  });

  it('bounds the nesting of attribute values it reads', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 40; i++) deep = [deep];
    const body = tracesProto([
      {
        scopes: [
          {
            spans: [{ attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.agent.name': deep as never } }],
          },
        ],
      },
    ]);
    expect(decodeError(() => decodeTraces(Buffer.from(body), decodeOptions))).toMatch(/nest deeper than 32/);
    // The same value under a key bursar does not read is skipped by length.
    const skipped = tracesProto([
      { scopes: [{ spans: [{ attributes: { 'gen_ai.operation.name': 'chat', other: deep as never } }] }] },
    ]);
    expect(decodeTraces(Buffer.from(skipped), decodeOptions).spans).toHaveLength(1);
  });
});

describe('OTLP/JSON', () => {
  it('refuses invalid JSON, schema violations and excessive nesting, naming the field', () => {
    expect(decodeError(() => decodeTracesJson(Buffer.from('{"resourceSpans": ['), decodeOptions))).toMatch(
      /not valid JSON/,
    );
    expect(
      decodeError(() =>
        decodeTracesJson(
          Buffer.from(
            JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ startTimeUnixNano: 'soon' }] }] }] }),
          ),
          decodeOptions,
        ),
      ),
    ).toMatch(/resourceSpans\.0\.scopeSpans\.0\.spans\.0\.startTimeUnixNano/);
    expect(
      decodeError(() =>
        decodeTracesJson(
          Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'xyz' }] }] }] })),
          decodeOptions,
        ),
      ),
    ).toMatch(/traceId: must be hex-encoded bytes/);
    expect(
      decodeError(() => decodeTracesJson(Buffer.from('['.repeat(5000) + ']'.repeat(5000)), decodeOptions)),
    ).toMatch(/nests deeper/);
  });

  it('takes int64 as strings or numbers, enums as integers, ids in either case', () => {
    const body = JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: 'AB'.repeat(16),
                  spanId: 'Cd'.repeat(8),
                  startTimeUnixNano: 1_700_000_000_000_000_000,
                  endTimeUnixNano: '1700000000500000000',
                  status: { code: 2 },
                  attributes: [
                    { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
                    { key: 'gen_ai.usage.input_tokens', value: { intValue: 42 } },
                    { key: 'gen_ai.usage.output_tokens', value: { intValue: '7' } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    });
    const [s] = decodeTracesJson(Buffer.from(body), decodeOptions).spans;
    expect(s).toMatchObject({ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), statusCode: 2 });
    expect(s!.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.usage.input_tokens': 42,
      'gen_ai.usage.output_tokens': 7,
    });
    expect(s!.endNs - s!.startNs).toBeCloseTo(5e8, -3);
  });
});

describe('metrics', () => {
  it('keeps gen_ai.client.token.usage points (explicit and exponential) and counts the others', () => {
    const point = (type: string, sum: number) => ({
      attributes: { 'gen_ai.token.type': type, 'gen_ai.request.model': 'm', 'server.address': 'api' },
      startMs: T - 60_000,
      timeMs: T,
      sum,
    });
    const body = metricsProto({ 'service.name': 'svc', 'process.pid': 42 }, [
      { temporality: 2, points: [point('input', 100), point('output', 10)] },
      { temporality: 1, exponential: true, points: [point('input', 5)] },
      { name: 'gen_ai.client.operation.duration', temporality: 2, points: [point('input', 1)] },
    ]);
    const decoded = decodeMetrics(Buffer.from(body));
    expect(decoded.total).toBe(4);
    expect(decoded.points.map((p) => [p.temporality, p.sum, p.attributes['gen_ai.token.type']])).toEqual([
      [2, 100, 'input'],
      [2, 10, 'output'],
      [1, 5, 'input'],
    ]);
    expect(decoded.points[0]!.resource.attributes).toEqual({ 'service.name': 'svc', 'process.pid': 42 });
    expect(decoded.points[0]!.attributes['server.address']).toBe('api');
    // protobufjs reads the same request back (the body is well-formed).
    const back = otlpProto.ExportMetricsServiceRequest.decode(body);
    expect(JSON.stringify(back)).toContain('gen_ai.client.token.usage');
  });

  it('reads OTLP/JSON metrics the same way', () => {
    const json = JSON.stringify({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
          scopeMetrics: [
            {
              scope: { name: 'x' },
              metrics: [
                {
                  name: 'gen_ai.client.token.usage',
                  histogram: {
                    aggregationTemporality: 1,
                    dataPoints: [
                      {
                        attributes: [{ key: 'gen_ai.token.type', value: { stringValue: 'output' } }],
                        startTimeUnixNano: '1',
                        timeUnixNano: '2000000',
                        sum: 12,
                      },
                    ],
                  },
                },
                { name: 'other', sum: { dataPoints: [{}, {}] } },
              ],
            },
          ],
        },
      ],
    });
    const decoded = decodeMetricsJson(Buffer.from(json));
    expect(decoded.total).toBe(3);
    expect(decoded.points).toEqual([
      expect.objectContaining({ temporality: 1, sum: 12, startNs: 1, timeNs: 2_000_000, scope: 'x' }),
    ]);
  });

  it('refuses truncated metrics bodies with the location', () => {
    const body = Buffer.from(
      metricsProto({ 'service.name': 's' }, [
        {
          temporality: 1,
          points: [{ attributes: { 'gen_ai.token.type': 'input' }, startMs: 1, timeMs: 2, sum: 1 }],
        },
      ]),
    );
    expect(decodeError(() => decodeMetrics(body.subarray(0, body.length - 4)))).toMatch(
      /resource_metrics\[0\]/,
    );
  });
});
