import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instrumentOpenAIClient } from '../../src/instrumentation/providers/openai.ts';
import { settingsFrom } from '../../src/instrumentation/settings.ts';
import { type MockProvider, openaiClient, startMockProvider } from '../mock-provider/index.ts';
import { otelHarness } from '../helpers/otel.ts';

let mock: MockProvider;
beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(async () => mock.close());
const messages = [{ role: 'user' as const, content: 'secret prompt' }];

describe('settings from the standard environment variables', () => {
  it('defaults: no content, no development counters', () => {
    expect(settingsFrom({}, {})).toMatchObject({
      captureContent: false,
      latestExperimental: false,
      onMissingUsage: 'record',
    });
    expect(
      settingsFrom(
        {},
        {
          OTEL_SEMCONV_STABILITY_OPT_IN: 'http, gen_ai_latest_experimental',
          OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'TRUE',
        },
      ),
    ).toMatchObject({ captureContent: true, latestExperimental: true });
  });

  it('content stays off spans unless opted in', async () => {
    const off = otelHarness();
    await instrumentOpenAIClient(openaiClient(mock), off.telemetry).chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
    });
    const [plain] = await off.finishedSpans();
    expect(JSON.stringify(plain!.attributes)).not.toContain('secret prompt');
    const on = otelHarness({ captureContent: true });
    await instrumentOpenAIClient(openaiClient(mock), on.telemetry).chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
    });
    const [captured] = await on.finishedSpans();
    expect(captured!.attributes['gen_ai.input.messages']).toContain('secret prompt');
  });

  it('gen_ai_latest_experimental adds the development usage counters', async () => {
    const h = otelHarness({ latestExperimental: true });
    await instrumentOpenAIClient(openaiClient(mock), h.telemetry).chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
    });
    const m = await h.metrics();
    const sum = (name: string) => m.get(name)?.dataPoints.reduce((a, p) => a + (p.value as number), 0);
    expect(sum('gen_ai.client.inference.usage.input_tokens')).toBe(1200);
    expect(sum('gen_ai.client.inference.usage.output_tokens')).toBe(300);
    expect(sum('gen_ai.client.inference.usage.cache_read_tokens')).toBe(1024);
    expect(sum('gen_ai.client.inference.usage.reasoning_tokens')).toBe(128);
    // The cost counter is bursar's own, in integer nano-USD.
    expect(sum('bursar.client.cost')).toBe(h.records[0]!.cost.nanoUsd);
    const plain = otelHarness();
    await instrumentOpenAIClient(openaiClient(mock), plain.telemetry).chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
    });
    expect((await plain.metrics()).has('gen_ai.client.inference.usage.input_tokens')).toBe(false);
  });

  it('histograms use the spec bucket boundaries', async () => {
    const h = otelHarness();
    await instrumentOpenAIClient(openaiClient(mock), h.telemetry).chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
    });
    const m = await h.metrics();
    const tokenPoint = m.get('gen_ai.client.token.usage')!.dataPoints[0]!.value as {
      buckets: { boundaries: number[] };
    };
    expect(tokenPoint.buckets.boundaries).toEqual([
      1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
    ]);
    const durPoint = m.get('gen_ai.client.operation.duration')!.dataPoints[0]!.value as {
      buckets: { boundaries: number[] };
    };
    expect(durPoint.buckets.boundaries).toEqual([
      0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
    ]);
  });
});
