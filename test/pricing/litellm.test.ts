import { describe, expect, it } from 'vitest';
import { PriceCatalog } from '../../src/pricing/catalog.ts';
import { parseLiteLLM, semconvProvider } from '../../src/pricing/litellm.ts';
import { SHIPPED_CATALOG_VERSION } from '../../src/pricing/shipped-prices.ts';
import { ValidationError } from '../../src/validation/errors.ts';
import { NOV_2026, record, usage } from './helpers.ts';

/** A small file in LiteLLM's format (per-token USD floats), shaped like the real entries. */
function fixture(): Record<string, unknown> {
  return {
    sample_spec: {
      input_cost_per_token: 0.0,
      litellm_provider: 'one of https://docs.litellm.ai/docs/providers',
      mode: 'one of: chat, embedding, …',
    },
    'gemini/gemini-2.5-pro': {
      cache_read_input_token_cost: 1.25e-7,
      cache_read_input_token_cost_above_200k_tokens: 2.5e-7,
      input_cost_per_token: 1.25e-6,
      input_cost_per_token_above_200k_tokens: 2.5e-6,
      input_cost_per_token_above_200k_tokens_priority: 2.5e-6,
      litellm_provider: 'gemini',
      max_input_tokens: 1048576,
      mode: 'chat',
      output_cost_per_token: 1e-5,
      output_cost_per_token_above_200k_tokens: 1.5e-5,
      supports_reasoning: true,
    },
    'claude-sonnet-4-5-20250929': {
      cache_creation_input_token_cost: 3.75e-6,
      cache_creation_input_token_cost_above_1hr: 6e-6,
      cache_creation_input_token_cost_above_200k_tokens: 7.5e-6,
      cache_creation_input_token_cost_above_1hr_above_200k_tokens: 1.2e-5,
      cache_read_input_token_cost: 3e-7,
      cache_read_input_token_cost_above_200k_tokens: 6e-7,
      input_cost_per_token: 3e-6,
      input_cost_per_token_above_200k_tokens: 6e-6,
      litellm_provider: 'anthropic',
      mode: 'chat',
      output_cost_per_token: 1.5e-5,
      output_cost_per_token_above_200k_tokens: 2.25e-5,
    },
    'azure/gpt-4o': {
      cache_read_input_token_cost: 1.25e-6,
      input_cost_per_token: 2.75e-6,
      litellm_provider: 'azure',
      mode: 'chat',
      output_cost_per_token: 1.1e-5,
    },
    'gemini-embedding-001': {
      input_cost_per_token: 1.5e-7,
      litellm_provider: 'vertex_ai-embedding-models',
      mode: 'embedding',
      output_cost_per_token: 0,
    },
    'gemini/gemma-3-27b-it': {
      input_cost_per_token: 0,
      litellm_provider: 'gemini',
      mode: 'chat',
      output_cost_per_token: 0,
    },
    'dall-e-3': { litellm_provider: 'openai', mode: 'image_generation', output_cost_per_image: 0.04 },
  };
}

function rejection(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('LiteLLM import', () => {
  it('converts per-token USD to integer pico, with tiers from _above_<N>k_tokens keys', () => {
    const { prices, summary } = parseLiteLLM(fixture());
    const pro = prices.find((p) => p.model === 'gemini-2.5-pro');
    // 1.25e-6 USD/token × 1e12 = 1_250_000 pico per token ($1.25 per 1M).
    expect(pro).toEqual({
      model: 'gemini-2.5-pro',
      provider: 'gcp.gemini',
      effectiveFrom: '1970-01-01',
      source: 'LiteLLM model_prices_and_context_window.json',
      aliases: ['gemini/gemini-2.5-pro'],
      input: 1_250_000,
      output: 10_000_000,
      cacheRead: 125_000,
      tiers: [{ aboveInputTokens: 200_000, input: 2_500_000, output: 15_000_000, cacheRead: 250_000 }],
    });
    const sonnet = prices.find((p) => p.model === 'claude-sonnet-4-5-20250929');
    expect(sonnet).toMatchObject({
      provider: 'anthropic',
      input: 3_000_000,
      cacheWrite: 3_750_000,
      cacheWrite1h: 6_000_000,
      cacheRead: 300_000,
      output: 15_000_000,
      tiers: [
        {
          aboveInputTokens: 200_000,
          input: 6_000_000,
          cacheWrite: 7_500_000,
          cacheWrite1h: 12_000_000,
          cacheRead: 600_000,
          output: 22_500_000,
        },
      ],
    });
    expect(sonnet?.aliases).toBeUndefined();
    expect(prices.find((p) => p.model === 'gpt-4o')).toMatchObject({
      provider: 'azure.ai.openai',
      input: 2_750_000,
    });
    expect(prices.find((p) => p.model === 'gemini-embedding-001')).toMatchObject({
      provider: 'gcp.vertex_ai',
      input: 150_000,
      output: 0,
    });
    expect(prices.find((p) => p.model === 'gemma-3-27b-it')?.free).toBe(true);
    expect(summary).toEqual({
      imported: 5,
      free: 1,
      skipped: 2,
      skippedBy: {
        'sample_spec (the format description)': 1,
        'no token prices (per image, second or character)': 1,
      },
      byMode: { chat: 4, embedding: 1 },
    });
  });

  it('imports into a catalog as custom prices, changing its version', () => {
    const catalog = new PriceCatalog();
    const summary = catalog.importLiteLLM(JSON.stringify(fixture()), { source: 'litellm test fixture' });
    expect(summary.imported).toBe(5);
    expect(summary.version).toMatch(/^2026-11-23\+custom\./);
    expect(catalog.version).toBe(summary.version);
    // Azure calls now use the imported Azure price; OpenAI calls keep the shipped one.
    expect(catalog.lookup('gpt-4o', 'azure.ai.openai', NOV_2026)?.input).toBe(2_750_000);
    expect(catalog.lookup('gpt-4o', 'openai', NOV_2026)?.input).toBe(2_500_000);
    // Imported Gemini prices replace shipped ones for the Gemini API; the tier is applied:
    // 250_000 × 2_500_000 = 625_000_000_000 pico → 625_000_000 nano.
    const cost = catalog.price(
      record({
        provider: 'gcp.gemini',
        requestModel: 'models/gemini-2.5-pro',
        usage: usage({ input: 250_000 }),
      }),
    );
    expect(cost.nanoUsd).toBe(625_000_000);
    expect(cost.catalogVersion).toBe(summary.version);
    expect(catalog.list().find((e) => e.model === 'gemini-2.5-pro' && e.origin === 'custom')?.source).toBe(
      'litellm test fixture',
    );
  });

  it('rejects a malformed file whole, naming the key and field', () => {
    const bad = fixture();
    bad['azure/gpt-4o'] = { ...(bad['azure/gpt-4o'] as object), output_cost_per_token: '1.1e-5' };
    const catalog = new PriceCatalog();
    const error = rejection(() => catalog.importLiteLLM(bad));
    expect(error.field).toBe('["azure/gpt-4o"].output_cost_per_token');
    expect(error.message).toBe(
      'LiteLLM price file: ["azure/gpt-4o"].output_cost_per_token: must be a finite number of USD per token, got "1.1e-5"',
    );
    // Nothing half-imported: the entries before the bad one are not in the catalog either.
    expect(catalog.version).toBe(SHIPPED_CATALOG_VERSION);
    expect(catalog.list().some((e) => e.origin === 'custom')).toBe(false);
  });

  it('rejects a per-million price typed in a per-token field', () => {
    const bad = fixture();
    bad['claude-sonnet-4-5-20250929'] = {
      ...(bad['claude-sonnet-4-5-20250929'] as object),
      input_cost_per_token_above_200k_tokens: 6,
    };
    const error = rejection(() => parseLiteLLM(bad));
    expect(error.field).toBe('["claude-sonnet-4-5-20250929"].input_cost_per_token_above_200k_tokens');
    expect(error.reason).toBe(
      '6 looks like a per-1M-tokens price; LiteLLM prices are USD per token (did you mean 6e-6?)',
    );
  });

  it.each([
    ['negative', -1e-6, 'must not be negative, got -1e-6'],
    ['infinite', Number.POSITIVE_INFINITY, 'must be a finite number of USD per token, got null'],
  ])('rejects a %s price', (_label, value, reason) => {
    const bad = fixture();
    bad['gemini-embedding-001'] = { ...(bad['gemini-embedding-001'] as object), input_cost_per_token: value };
    expect(rejection(() => parseLiteLLM(bad)).reason).toBe(reason);
  });

  it('rejects files that are not an object of objects', () => {
    expect(rejection(() => parseLiteLLM('{not json')).reason).toMatch(/^not valid JSON/);
    expect(rejection(() => parseLiteLLM([])).reason).toBe('must be an object keyed by model name');
    expect(rejection(() => parseLiteLLM({ 'gpt-x': 3 })).field).toBe('["gpt-x"]');
    expect(
      rejection(() => parseLiteLLM({ 'gpt-x': { input_cost_per_token: 1e-6, litellm_provider: 7 } })).field,
    ).toBe('["gpt-x"].litellm_provider');
  });

  it('keeps the first of two entries for the same model and provider', () => {
    const { prices, summary } = parseLiteLLM({
      'gpt-4o': { input_cost_per_token: 2.5e-6, output_cost_per_token: 1e-5, litellm_provider: 'openai' },
      'openai/gpt-4o': {
        input_cost_per_token: 9e-6,
        output_cost_per_token: 1e-5,
        litellm_provider: 'openai',
      },
    });
    expect(prices).toHaveLength(1);
    expect(prices[0]?.input).toBe(2_500_000);
    expect(summary.skippedBy).toEqual({ 'duplicate model and provider (first kept)': 1 });
  });

  it('maps LiteLLM provider ids to semconv provider names', () => {
    expect(semconvProvider('openai')).toBe('openai');
    expect(semconvProvider('anthropic')).toBe('anthropic');
    expect(semconvProvider('gemini')).toBe('gcp.gemini');
    expect(semconvProvider('vertex_ai')).toBe('gcp.vertex_ai');
    expect(semconvProvider('vertex_ai-anthropic_models')).toBe('gcp.vertex_ai');
    expect(semconvProvider('azure')).toBe('azure.ai.openai');
    expect(semconvProvider('bedrock_converse')).toBe('aws.bedrock');
    expect(semconvProvider('xai')).toBe('x_ai');
    expect(semconvProvider('openrouter')).toBe('openrouter');
    expect(semconvProvider(undefined)).toBe('*');
  });
});
