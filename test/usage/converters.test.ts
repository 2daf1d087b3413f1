import { describe, expect, it } from 'vitest';
import { fromAnthropicUsage, mergeAnthropicStreamUsage } from '../../src/usage/from-anthropic.ts';
import { fromGeminiUsage } from '../../src/usage/from-gemini.ts';
import {
  fromOpenAIChatUsage,
  fromOpenAIEmbeddingsUsage,
  fromOpenAIResponsesUsage,
} from '../../src/usage/from-openai.ts';
import { parseUsageRecord } from '../../src/usage/usage-record.ts';

describe('OpenAI', () => {
  it('chat: prompt includes cached, completion includes reasoning', () => {
    expect(
      fromOpenAIChatUsage({
        prompt_tokens: 1200,
        completion_tokens: 800,
        total_tokens: 2000,
        prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 512, accepted_prediction_tokens: 0 },
      }),
    ).toEqual({ input: 1200, output: 800, cacheRead: 1024, cacheWrite: 0, cacheWrite1h: 0, reasoning: 512 });
  });
  it('chat: null details are absent counts', () => {
    expect(
      fromOpenAIChatUsage({
        prompt_tokens: 5,
        completion_tokens: 1,
        total_tokens: 6,
        prompt_tokens_details: null,
      }),
    ).toMatchObject({ input: 5, output: 1, cacheRead: 0 });
  });
  it('responses', () => {
    expect(
      fromOpenAIResponsesUsage({
        input_tokens: 300,
        input_tokens_details: { cached_tokens: 100 },
        output_tokens: 50,
        output_tokens_details: { reasoning_tokens: 20 },
        total_tokens: 350,
      }),
    ).toEqual({ input: 300, output: 50, cacheRead: 100, cacheWrite: 0, cacheWrite1h: 0, reasoning: 20 });
  });
  it('embeddings', () => {
    expect(fromOpenAIEmbeddingsUsage({ prompt_tokens: 8, total_tokens: 8 })).toMatchObject({
      input: 8,
      output: 0,
    });
  });
  it('rejects corrupt counts naming the field', () => {
    expect(() => fromOpenAIChatUsage({ prompt_tokens: -1 })).toThrow(/prompt_tokens: must not be negative/);
    expect(() => fromOpenAIChatUsage({ prompt_tokens: 1.5 })).toThrow(
      /prompt_tokens: must be a whole number/,
    );
    expect(() => fromOpenAIChatUsage({ prompt_tokens: Number.NaN })).toThrow(/prompt_tokens/);
    expect(() => fromOpenAIChatUsage({ prompt_tokens: 1e15 })).toThrow(/prompt_tokens: must be at most/);
    expect(() =>
      fromOpenAIChatUsage({ prompt_tokens: 10, prompt_tokens_details: { cached_tokens: 11 } }),
    ).toThrow(/cacheRead.*exceed input/);
    expect(() =>
      fromOpenAIChatUsage({ completion_tokens: 1, completion_tokens_details: { reasoning_tokens: 2 } }),
    ).toThrow(/reasoning/);
    expect(() => fromOpenAIChatUsage('nope')).toThrow(/OpenAI chat usage/);
  });
});

describe('Anthropic', () => {
  it('input excludes cache: semconv input adds cache reads and writes', () => {
    expect(
      fromAnthropicUsage({
        input_tokens: 50,
        output_tokens: 400,
        cache_read_input_tokens: 2000,
        cache_creation_input_tokens: 1000,
        cache_creation: { ephemeral_5m_input_tokens: 600, ephemeral_1h_input_tokens: 400 },
      }),
    ).toEqual({
      input: 3050,
      output: 400,
      cacheRead: 2000,
      cacheWrite: 1000,
      cacheWrite1h: 400,
      reasoning: 0,
    });
  });
  it('stream: message_delta counts are cumulative — the last one wins, never summed', () => {
    const start = {
      input_tokens: 25,
      output_tokens: 1,
      cache_read_input_tokens: 100,
      cache_creation_input_tokens: 0,
    };
    const deltas = [{ output_tokens: 10 }, { output_tokens: 35 }, { output_tokens: 72 }];
    const merged = mergeAnthropicStreamUsage(start, deltas.at(-1));
    expect(fromAnthropicUsage(merged)).toEqual({
      input: 125,
      output: 72,
      cacheRead: 100,
      cacheWrite: 0,
      cacheWrite1h: 0,
      reasoning: 0,
    });
  });
  it('stream: a final delta that repeats input counts replaces them', () => {
    const merged = mergeAnthropicStreamUsage(
      { input_tokens: 25, output_tokens: 1 },
      { input_tokens: 30, output_tokens: 9, cache_read_input_tokens: null },
    );
    expect(fromAnthropicUsage(merged)).toMatchObject({ input: 30, output: 9 });
  });
  it('stream broken after message_start still yields the input already reported', () => {
    expect(
      fromAnthropicUsage(mergeAnthropicStreamUsage({ input_tokens: 25, output_tokens: 1 }, undefined)),
    ).toMatchObject({ input: 25, output: 1 });
  });
  it('1h writes cannot exceed all writes', () => {
    expect(() =>
      fromAnthropicUsage({
        input_tokens: 1,
        cache_creation_input_tokens: 5,
        cache_creation: { ephemeral_1h_input_tokens: 6 },
      }),
    ).toThrow(/cacheWrite1h/);
  });
});

describe('Gemini', () => {
  it('output = candidates + thoughts; prompt includes cached; tool-use prompt is input', () => {
    expect(
      fromGeminiUsage({
        promptTokenCount: 1000,
        cachedContentTokenCount: 600,
        candidatesTokenCount: 200,
        thoughtsTokenCount: 300,
        toolUsePromptTokenCount: 50,
        totalTokenCount: 1550,
      }),
    ).toEqual({ input: 1050, output: 500, cacheRead: 600, cacheWrite: 0, cacheWrite1h: 0, reasoning: 300 });
  });
  it('missing fields are zero', () => {
    expect(fromGeminiUsage({ promptTokenCount: 3 })).toMatchObject({ input: 3, output: 0 });
  });
  it('rejects bad counts', () => {
    expect(() => fromGeminiUsage({ thoughtsTokenCount: -3 })).toThrow(
      /thoughtsTokenCount: must not be negative/,
    );
  });
});

describe('UsageRecord', () => {
  const good = {
    id: 'x',
    time: Date.parse('2026-01-01T00:00:00Z'),
    provider: 'openai',
    operation: 'chat',
    requestModel: 'gpt-5',
    usage: { input: 1, output: 1 },
  };
  it('fills defaults', () => {
    expect(parseUsageRecord(good)).toMatchObject({
      scope: {},
      durationMs: 0,
      usageSource: 'provider',
      usage: { cacheRead: 0 },
    });
  });
  it.each([
    [{ time: 1_700_000_000 }, /time: must be epoch milliseconds after 2000/],
    [{ id: '' }, /id: must not be empty/],
    [{ usage: { input: -1 } }, /usage.input: must not be negative/],
    [{ usage: { input: 2, cacheRead: 3 } }, /cacheRead/],
    [{ usage: { input: 1, bogus: 1 } }, /usage/],
    [{ scope: { 'Bad-Label': 'x' } }, /scope/],
    [{ scope: { constructor: 'x' } }, /scope/],
    [{ durationMs: -5 }, /durationMs: must not be negative/],
    [{ usageSource: 'estimated' }, /usageSource/],
    [{ providerCostNanoUsd: 0.5 }, /providerCostNanoUsd: must be whole nano-USD/],
  ])('rejects %o', (patch, message) => {
    expect(() => parseUsageRecord({ ...good, ...patch })).toThrow(message);
  });
});

describe('Anthropic thinking tokens', () => {
  it('output_tokens_details.thinking_tokens is reasoning, inside output', () => {
    expect(
      fromAnthropicUsage({
        input_tokens: 10,
        output_tokens: 400,
        output_tokens_details: { thinking_tokens: 150 },
      }),
    ).toMatchObject({
      output: 400,
      reasoning: 150,
    });
    expect(() =>
      fromAnthropicUsage({
        input_tokens: 1,
        output_tokens: 10,
        output_tokens_details: { thinking_tokens: 11 },
      }),
    ).toThrow(/reasoning/);
  });
});

describe('scope keys that reach the prototype chain', () => {
  it('constructor and prototype are refused; an own __proto__ key is dropped, never kept', () => {
    const base = {
      id: 'p',
      time: Date.parse('2026-01-01T00:00:00Z'),
      provider: 'openai',
      operation: 'chat',
      requestModel: 'm',
      usage: { input: 1 },
    };
    expect(() => parseUsageRecord({ ...base, scope: { prototype: 'x' } })).toThrow(/scope/);
    const parsed = parseUsageRecord({ ...base, scope: JSON.parse('{"__proto__": "x", "tenant": "a"}') });
    expect(Object.keys(parsed.scope)).toEqual(['tenant']);
    expect(Object.getPrototypeOf(parsed.scope)).toBe(Object.prototype);
  });
});
