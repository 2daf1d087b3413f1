import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenAiMetrics } from '../../src/instrumentation/metrics.ts';
import { instrumentOpenAIClient } from '../../src/instrumentation/providers/openai.ts';
import { ZERO_USAGE } from '../../src/usage/token-usage.ts';
import { type MockProvider, openaiClient, startMockProvider } from '../mock-provider/index.ts';
import { histogramCount, histogramSum, otelHarness } from '../helpers/otel.ts';

let mock: MockProvider;
beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(async () => mock.close());
const messages = [{ role: 'user' as const, content: 'hi' }];
const PER_CHUNK = 'gen_ai.client.operation.time_per_output_chunk';

class Reader extends MetricReader {
  constructor(temporality: AggregationTemporality) {
    super({ aggregationTemporalitySelector: () => temporality });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
  async byName() {
    const { resourceMetrics } = await this.collect();
    return new Map(resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.map((m) => [m.descriptor.name, m])));
  }
}

function metricsWith(temporality: AggregationTemporality, latestExperimental = false) {
  const reader = new Reader(temporality);
  const m = new GenAiMetrics(new MeterProvider({ readers: [reader] }).getMeter('t'), latestExperimental);
  return { reader, m };
}

const points = (metric: { dataPoints: { attributes: object; value: unknown }[] } | undefined) =>
  (metric?.dataPoints ?? []).map((p) => [p.attributes, p.value]);

describe('counters: running totals reported at collection', () => {
  const usage = { ...ZERO_USAGE, input: 10, output: 4, cacheRead: 3 };

  it('sum across calls per attribute set; a rebuilt set with the same content adds to the same total', async () => {
    const { reader, m } = metricsWith(AggregationTemporality.CUMULATIVE, true);
    const a = Object.freeze({ 'gen_ai.request.model': 'a' });
    const b = Object.freeze({ 'gen_ai.request.model': 'b' });
    m.record(a, 0.1, usage, 500);
    m.record(a, 0.1, usage, 700);
    m.record(b, 0.1, undefined, undefined);
    m.record(Object.freeze({ 'gen_ai.request.model': 'a' }), 0.1, usage, 11);
    const got = await reader.byName();
    expect(points(got.get('bursar.client.cost'))).toEqual([[a, 1211]]);
    expect(points(got.get('bursar.client.usage.missing'))).toEqual([[b, 1]]);
    expect(points(got.get('gen_ai.client.inference.usage.input_tokens'))).toEqual([[a, 30]]);
    expect(points(got.get('gen_ai.client.inference.usage.cache_read_tokens'))).toEqual([[a, 9]]);
    // Never incremented: no point, as with a synchronous counter.
    expect(got.get('gen_ai.client.inference.usage.cache_write_tokens')?.dataPoints ?? []).toEqual([]);
    expect(got.get('bursar.client.cost')).toMatchObject({ isMonotonic: true });
    // Still cumulative at the next collection.
    m.record(a, 0.1, usage, 1);
    expect(points((await reader.byName()).get('bursar.client.cost'))).toEqual([[a, 1212]]);
  });

  it('delta temporality reports what was added since the last collection', async () => {
    const { reader, m } = metricsWith(AggregationTemporality.DELTA);
    const a = Object.freeze({ 'gen_ai.request.model': 'a' });
    m.record(a, 0.1, usage, 500);
    expect(points((await reader.byName()).get('bursar.client.cost'))).toEqual([[a, 500]]);
    m.record(a, 0.1, usage, 20);
    expect(points((await reader.byName()).get('bursar.client.cost'))).toEqual([[a, 20]]);
  });

  it('distinct attribute sets are bounded: beyond 1999 they sum under the overflow set', async () => {
    const { reader, m } = metricsWith(AggregationTemporality.CUMULATIVE);
    for (let i = 0; i < 2005; i++)
      m.record(Object.freeze({ 'gen_ai.request.model': `m${i}` }), 0.1, usage, 1);
    const cost = (await reader.byName()).get('bursar.client.cost')!;
    const overflow = cost.dataPoints.filter((p) => p.attributes['otel.metric.overflow'] === true);
    expect(overflow.map((p) => p.value)).toEqual([6]);
    expect(cost.dataPoints.reduce((s, p) => s + (p.value as number), 0)).toBe(2005);
  });
});

describe('streaming chunk timings', () => {
  const stream = async (h: ReturnType<typeof otelHarness>) => {
    const s = await instrumentOpenAIClient(openaiClient(mock), h.telemetry).chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
    });
    let n = 0;
    for await (const _ of s) n += 1;
    return n;
  };

  it('default: one time-per-chunk point per stream, the mean gap between its chunks', async () => {
    const h = otelHarness();
    expect(await stream(h)).toBe(7); // role, 5 text, finish; the injected usage chunk is hidden
    await stream(h);
    const m = await h.metrics();
    expect(histogramCount(m.get(PER_CHUNK))).toBe(2);
    expect(histogramSum(m.get(PER_CHUNK))).toBeGreaterThan(0);
    expect(histogramCount(m.get('gen_ai.client.operation.time_to_first_chunk'))).toBe(2);
  });

  it("chunkTimings: 'per-chunk' records each gap after the first chunk, as the semconv describes", async () => {
    const h = otelHarness({ chunkTimings: 'per-chunk' });
    await stream(h);
    // 8 chunks seen (the hidden usage chunk too): 7 gaps.
    expect(histogramCount((await h.metrics()).get(PER_CHUNK))).toBe(7);
  });

  it('a stream left after its first chunk records no gap', async () => {
    const h = otelHarness();
    const s = await instrumentOpenAIClient(openaiClient(mock), h.telemetry).chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
    });
    for await (const _ of s) break;
    const m = await h.metrics();
    expect(histogramCount(m.get(PER_CHUNK))).toBe(0);
    expect(histogramCount(m.get('gen_ai.client.operation.time_to_first_chunk'))).toBe(1);
    expect(h.records).toHaveLength(1);
  });
});
