import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instrumentOpenAIClient } from '../../src/instrumentation/providers/openai.ts';
import { type MockProvider, openaiClient, startMockProvider } from '../mock-provider/index.ts';
import { histogramCount, histogramSum, otelHarness } from '../helpers/otel.ts';

let mock: MockProvider;
beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(async () => mock.close());
const messages = [{ role: 'user' as const, content: 'hi' }];
const PER_CHUNK = 'gen_ai.client.operation.time_per_output_chunk';

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
