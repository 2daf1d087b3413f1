import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MissingUsageError } from '../../src/instrumentation/call.ts';
import { instrument } from '../../src/instrumentation/instrument.ts';
import { getAdapter } from '../../src/instrumentation/unified-adapter.ts';
import {
  anthropicClient,
  geminiClient,
  type MockProvider,
  openaiClient,
  startMockProvider,
} from '../mock-provider/index.ts';
import { otelHarness } from '../helpers/otel.ts';

let mock: MockProvider;
beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(async () => mock.close());

describe('instrument(client)', () => {
  it('recognizes each SDK client and records its calls', async () => {
    const h = otelHarness();
    const o = instrument(openaiClient(mock), { telemetry: h.telemetry });
    const a = instrument(anthropicClient(mock), { telemetry: h.telemetry });
    const g = instrument(geminiClient(mock), { telemetry: h.telemetry });
    await o.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    await a.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hi' }],
    });
    await g.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' });
    expect(h.records.map((r) => r.provider)).toEqual(['openai', 'anthropic', 'gcp.gemini']);
    // Instrumenting twice changes nothing: still one record per call.
    instrument(o, { telemetry: h.telemetry });
    await o.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(h.records).toHaveLength(4);
  });

  it('an OpenAI-compatible client can be told its provider', async () => {
    const h = otelHarness();
    const c = instrument(openaiClient(mock), { telemetry: h.telemetry, provider: 'deepseek' });
    await c.chat.completions.create({ model: 'deepseek-chat', messages: [{ role: 'user', content: 'hi' }] });
    expect(h.records[0]!.provider).toBe('deepseek');
  });

  it('rejects anything else with a clear error', () => {
    expect(() => instrument({ foo: 1 })).toThrow(
      /expected an openai, @anthropic-ai\/sdk or @google\/genai client/,
    );
  });
});

describe('getAdapter()', () => {
  it('picks the provider from the API-key variables and returns text with standardized usage', async () => {
    const h = otelHarness();
    const env = { ANTHROPIC_API_KEY: 'k' };
    const a = await getAdapter({ env, baseURL: mock.anthropicBaseURL, telemetry: h.telemetry });
    expect(a.provider).toBe('anthropic');
    const r = await a.generate('hello', { model: 'claude-sonnet-4-6', maxTokens: 64 });
    expect(r.text.length).toBeGreaterThan(0);
    expect(r.usage).toMatchObject({
      provider: 'anthropic',
      promptTokens: 2350,
      completionTokens: 420,
      totalTokens: 2770,
      cacheReadTokens: 2000,
      cacheWriteTokens: 300,
    });
    expect(r.usage.costNanoUsd).toBe(h.records[0]!.cost.nanoUsd);
    const o = await getAdapter({
      provider: 'openai',
      apiKey: 'k',
      baseURL: mock.openaiBaseURL,
      telemetry: h.telemetry,
    });
    expect((await o.generate('hi')).usage).toMatchObject({
      provider: 'openai',
      promptTokens: 1200,
      reasoningTokens: 128,
    });
    const g = await getAdapter({
      env: { GEMINI_API_KEY: 'k' },
      baseURL: mock.geminiBaseUrl,
      telemetry: h.telemetry,
    });
    expect((await g.generate('hi')).usage).toMatchObject({
      provider: 'gcp.gemini',
      promptTokens: 900,
      completionTokens: 300,
      reasoningTokens: 90,
    });
  });

  it('fails loudly when the response has no usage, and when no provider can be chosen', async () => {
    mock.setScenario('no-usage');
    try {
      const o = await getAdapter({
        provider: 'openai',
        apiKey: 'k',
        baseURL: mock.openaiBaseURL,
        telemetry: otelHarness().telemetry,
      });
      await expect(o.generate('hi')).rejects.toBeInstanceOf(MissingUsageError);
    } finally {
      mock.setScenario('ok');
    }
    await expect(getAdapter({ env: {} })).rejects.toThrow(
      /OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY/,
    );
  });
});
