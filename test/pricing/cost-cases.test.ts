import { describe, expect, it } from 'vitest';
import { PriceCatalog } from '../../src/pricing/catalog.ts';
import { parsePriceConfig } from '../../src/pricing/price-config.ts';
import { SHIPPED_CATALOG_VERSION } from '../../src/pricing/shipped-prices.ts';
import { fromAnthropicUsage } from '../../src/usage/from-anthropic.ts';
import { fromGeminiUsage } from '../../src/usage/from-gemini.ts';
import { fromOpenAIChatUsage } from '../../src/usage/from-openai.ts';
import { record, usage } from './helpers.ts';

// Prices are pico-USD per token (= micro-USD per 1M tokens): $2.50/M is 2_500_000 pico per token.
// 1 nano-USD = 1_000 pico-USD. Every expected figure below is worked out by hand in the comment.

describe('costs of real calls, computed by hand', () => {
  const catalog = new PriceCatalog();

  it('OpenAI gpt-4o with cached input and reasoning inside output', () => {
    // gpt-4o: input $2.50/M, cached $1.25/M, output $10/M; reasoning is billed as output.
    const u = fromOpenAIChatUsage({
      prompt_tokens: 1000,
      completion_tokens: 200,
      total_tokens: 1200,
      prompt_tokens_details: { cached_tokens: 400 },
      completion_tokens_details: { reasoning_tokens: 50 },
    });
    const cost = catalog.price(record({ provider: 'openai', requestModel: 'gpt-4o', usage: u }));
    // uncached 600 × 2_500_000 = 1_500_000_000 pico = 1_500_000 nano
    // cached   400 × 1_250_000 =   500_000_000 pico =   500_000 nano
    // output   200 × 10_000_000 = 2_000_000_000 pico = 2_000_000 nano (the 50 reasoning included)
    expect(cost.breakdownNanoUsd).toEqual({
      input: 1_500_000,
      cacheRead: 500_000,
      cacheWrite: 0,
      output: 2_000_000,
      reasoning: 0,
    });
    expect(cost.nanoUsd).toBe(4_000_000); // $0.004
    expect(cost).toMatchObject({ source: 'computed', unpriced: false, priceModel: 'gpt-4o' });
    expect(cost.catalogVersion).toBe(SHIPPED_CATALOG_VERSION);
  });

  it('Anthropic claude-sonnet-4-5 with cache reads, 5-minute and 1-hour cache writes', () => {
    // Sonnet 4.5: input $3, 5m write $3.75, 1h write $6, cache hit $0.30, output $15 (per 1M).
    // Anthropic's input_tokens excludes cache tokens; semconv input adds them back:
    // input = 1_000 + 6_000 read + 3_000 written (2_000 for 5 minutes, 1_000 for 1 hour) = 10_000.
    const u = fromAnthropicUsage({
      input_tokens: 1000,
      output_tokens: 500,
      cache_read_input_tokens: 6000,
      cache_creation_input_tokens: 3000,
      cache_creation: { ephemeral_5m_input_tokens: 2000, ephemeral_1h_input_tokens: 1000 },
    });
    expect(u).toEqual(
      usage({ input: 10_000, output: 500, cacheRead: 6000, cacheWrite: 3000, cacheWrite1h: 1000 }),
    );
    const cost = catalog.price(
      record({
        provider: 'anthropic',
        requestModel: 'claude-sonnet-4-5',
        responseModel: 'claude-sonnet-4-5-20250929',
        usage: u,
      }),
    );
    // uncached 1_000 × 3_000_000 = 3_000_000_000 pico → 3_000_000 nano
    // read     6_000 ×   300_000 = 1_800_000_000 pico → 1_800_000 nano
    // 5m write 2_000 × 3_750_000 = 7_500_000_000 pico \
    // 1h write 1_000 × 6_000_000 = 6_000_000_000 pico / → 13_500_000 nano
    // output     500 × 15_000_000 = 7_500_000_000 pico → 7_500_000 nano
    expect(cost.breakdownNanoUsd).toEqual({
      input: 3_000_000,
      cacheRead: 1_800_000,
      cacheWrite: 13_500_000,
      output: 7_500_000,
      reasoning: 0,
    });
    expect(cost.nanoUsd).toBe(25_800_000); // $0.0258
    expect(cost.priceModel).toBe('claude-sonnet-4-5');
  });

  it('Gemini 2.5 Flash with thoughts billed as output', () => {
    // gemini-2.5-flash: input $0.30, cached $0.03, output (thinking included) $2.50 per 1M.
    // Gemini's candidatesTokenCount excludes thoughts: output = 300 + 700 = 1_000.
    const u = fromGeminiUsage({
      promptTokenCount: 2000,
      cachedContentTokenCount: 1000,
      candidatesTokenCount: 300,
      thoughtsTokenCount: 700,
      totalTokenCount: 3000,
    });
    const cost = catalog.price(
      record({ provider: 'gcp.gemini', requestModel: 'models/gemini-2.5-flash', usage: u }),
    );
    // uncached 1_000 ×   300_000 =   300_000_000 pico →   300_000 nano
    // cached   1_000 ×    30_000 =    30_000_000 pico →    30_000 nano
    // output   1_000 × 2_500_000 = 2_500_000_000 pico → 2_500_000 nano
    expect(cost.nanoUsd).toBe(2_830_000);
    expect(cost.breakdownNanoUsd.reasoning).toBe(0);
  });

  describe('long-context tier crossing (gemini-2.5-pro above 200K input tokens)', () => {
    // Base $1.25 in / $10 out; above 200_000 input tokens the whole call is $2.50 / $15.
    const at = (input: number) =>
      catalog.price(
        record({
          provider: 'gcp.gemini',
          requestModel: 'gemini-2.5-pro',
          usage: usage({ input, output: 1000 }),
        }),
      );

    it('199,999 input tokens: base prices', () => {
      // 199_999 × 1_250_000 = 249_998_750_000 pico → 249_998_750 nano; 1_000 × 10_000_000 → 10_000_000 nano
      const cost = at(199_999);
      expect(cost.nanoUsd).toBe(259_998_750);
      expect(cost.tierAboveInputTokens).toBeUndefined();
    });
    it('exactly 200,000 input tokens: still base (the tier is for input above 200K)', () => {
      // 200_000 × 1_250_000 = 250_000_000_000 pico → 250_000_000 nano, + 10_000_000
      expect(at(200_000).nanoUsd).toBe(260_000_000);
    });
    it('200,001 input tokens: every token at the long-context price', () => {
      // 200_001 × 2_500_000 = 500_002_500_000 pico → 500_002_500 nano; 1_000 × 15_000_000 → 15_000_000 nano
      const cost = at(200_001);
      expect(cost.nanoUsd).toBe(515_002_500);
      expect(cost.tierAboveInputTokens).toBe(200_000);
    });
  });

  it('Anthropic long context counts cache tokens toward the 200K threshold', () => {
    // Sonnet 4: 150_000 cache reads + 50_001 uncached = 200_001 semconv input → long-context tier:
    // uncached 50_001 × 6_000_000 = 300_006_000_000 pico → 300_006_000 nano
    // read    150_000 ×   600_000 =  90_000_000_000 pico →  90_000_000 nano
    // output      100 × 22_500_000 =  2_250_000_000 pico →   2_250_000 nano
    const cost = catalog.price(
      record({
        provider: 'anthropic',
        requestModel: 'claude-sonnet-4-20250514',
        usage: usage({ input: 200_001, cacheRead: 150_000, output: 100 }),
      }),
    );
    expect(cost.tierAboveInputTokens).toBe(200_000);
    expect(cost.nanoUsd).toBe(392_256_000);
  });

  it('reasoning priced apart from output in a custom entry', () => {
    const custom = parsePriceConfig([
      { model: 'my-reasoner', provider: 'acme', input: 1, output: 4, reasoning: 8 },
    ]);
    const withCustom = new PriceCatalog({ custom });
    const cost = withCustom.price(
      record({
        provider: 'acme',
        requestModel: 'my-reasoner',
        usage: usage({ input: 1000, output: 500, reasoning: 300 }),
      }),
    );
    // input       1_000 × 1_000_000 = 1_000_000_000 pico → 1_000_000 nano
    // plain out     200 × 4_000_000 =   800_000_000 pico →   800_000 nano (500 output − 300 reasoning)
    // reasoning     300 × 8_000_000 = 2_400_000_000 pico → 2_400_000 nano
    expect(cost.breakdownNanoUsd).toEqual({
      input: 1_000_000,
      output: 800_000,
      reasoning: 2_400_000,
      cacheRead: 0,
      cacheWrite: 0,
    });
    expect(cost.nanoUsd).toBe(4_200_000);
    expect(cost.catalogVersion).toMatch(/^2026-11-23\+custom\.[0-9a-f]{12}$/);
  });

  it('keeps a provider-reported cost beside the computed one', () => {
    const u = usage({ input: 1000, cacheRead: 400, output: 200, reasoning: 50 });
    const cost = catalog.price(
      record({ provider: 'openai', requestModel: 'openai/gpt-4o', usage: u, providerCostNanoUsd: 1_234_567 }),
    );
    expect(cost).toMatchObject({
      nanoUsd: 1_234_567,
      providerNanoUsd: 1_234_567,
      computedNanoUsd: 4_000_000, // as in the first case
      source: 'provider',
      unpriced: false,
    });
  });

  it('a free self-hosted model costs 0 and is not unpriced', () => {
    const custom = parsePriceConfig([{ model: 'llama3.1:8b', provider: 'ollama', free: true }]);
    const cost = new PriceCatalog({ custom }).price(
      record({ provider: 'ollama', requestModel: 'llama3.1:8b', usage: usage({ input: 5000, output: 900 }) }),
    );
    expect(cost).toMatchObject({
      nanoUsd: 0,
      computedNanoUsd: 0,
      source: 'free',
      unpriced: false,
      priceModel: 'llama3.1:8b',
    });
  });

  it('an unknown model is unpriced, never a silent $0', () => {
    const cost = catalog.price(
      record({
        provider: 'openai',
        requestModel: 'gpt-unknown-9',
        usage: usage({ input: 5000, output: 900 }),
      }),
    );
    expect(cost).toMatchObject({ nanoUsd: 0, source: 'unpriced', unpriced: true });
    expect(cost.computedNanoUsd).toBeUndefined();
    expect(cost.priceModel).toBeUndefined();
  });

  it('falls back to the requested model when the response names an unlisted one', () => {
    const cost = catalog.price(
      record({
        provider: 'openai',
        requestModel: 'gpt-4o-mini',
        responseModel: 'gpt-4o-mini-custom-deploy',
        usage: usage({ input: 1_000_000 }),
      }),
    );
    // 1_000_000 × 150_000 pico = 150_000_000_000 pico → 150_000_000 nano ($0.15)
    expect(cost.nanoUsd).toBe(150_000_000);
    expect(cost.priceModel).toBe('gpt-4o-mini');
  });

  it('rounds each call to the nearest nano-USD', () => {
    // gpt-5-nano cached input $0.005/M = 5_000 pico per token: 1 token = 5 nano exactly;
    // gpt-4.1-nano cached input $0.025/M = 25_000 pico; 3 tokens + 1 output at 400_000 pico
    // = 75_000 + 400_000 = 475_000 pico → 475 nano.
    const nano = catalog.price(
      record({ provider: 'openai', requestModel: 'gpt-5-nano', usage: usage({ input: 1, cacheRead: 1 }) }),
    );
    expect(nano.nanoUsd).toBe(5);
    const nano41 = catalog.price(
      record({
        provider: 'openai',
        requestModel: 'gpt-4.1-nano',
        usage: usage({ input: 3, cacheRead: 3, output: 1 }),
      }),
    );
    expect(nano41.nanoUsd).toBe(475);
  });
});
