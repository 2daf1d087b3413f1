import { describe, expect, it } from 'vitest';
import { PriceCatalog } from '../../src/pricing/catalog.ts';
import type { TokenPrices } from '../../src/pricing/price.ts';
import { SHIPPED_CATALOG_VERSION, SHIPPED_PRICES } from '../../src/pricing/shipped-prices.ts';
import { assertModelPrice, parseEffectiveDate } from '../../src/pricing/validate-price.ts';
import { NOV_2026 } from './helpers.ts';

const REQUIRED: [provider: string, model: string][] = [
  ['openai', 'gpt-4o'],
  ['openai', 'gpt-4o-mini'],
  ['openai', 'gpt-4.1'],
  ['openai', 'gpt-4.1-mini'],
  ['openai', 'gpt-4.1-nano'],
  ['openai', 'o3'],
  ['openai', 'o4-mini'],
  ['openai', 'gpt-5'],
  ['openai', 'gpt-5-mini'],
  ['openai', 'gpt-5-nano'],
  ['openai', 'gpt-5.5'],
  ['openai', 'text-embedding-3-small'],
  ['openai', 'text-embedding-3-large'],
  ['anthropic', 'claude-3-5-haiku-20241022'],
  ['anthropic', 'claude-3-7-sonnet-20250219'],
  ['anthropic', 'claude-sonnet-4-20250514'],
  ['anthropic', 'claude-sonnet-4-5-20250929'],
  ['anthropic', 'claude-opus-4-20250514'],
  ['anthropic', 'claude-opus-4-1-20250805'],
  ['anthropic', 'claude-haiku-4-5-20251001'],
  ['anthropic', 'claude-opus-4-8'],
  ['gcp.gemini', 'gemini-2.0-flash'],
  ['gcp.gemini', 'gemini-2.5-flash'],
  ['gcp.gemini', 'gemini-2.5-flash-lite'],
  ['gcp.gemini', 'gemini-2.5-pro'],
  ['gcp.gemini', 'gemini-3-pro-preview'],
  ['gcp.gemini', 'gemini-3.5-flash'],
  ['gcp.gemini', 'gemini-embedding-001'],
];

const allPrices = (p: TokenPrices & { tiers?: TokenPrices[] }): TokenPrices[] => [p, ...(p.tiers ?? [])];

describe('shipped price table', () => {
  it('is dated', () => {
    expect(parseEffectiveDate(SHIPPED_CATALOG_VERSION)).toBeDefined();
  });

  it.each(REQUIRED)('prices %s %s', (provider, model) => {
    const price = new PriceCatalog().lookup(model, provider, NOV_2026);
    expect(price?.provider).toBe(provider);
    expect(price?.input).toBeGreaterThan(0);
  });

  it('every entry is valid, sourced and dated, with integer pico-USD prices', () => {
    for (const price of SHIPPED_PRICES) {
      expect(() => assertModelPrice(price, price.model)).not.toThrow();
      expect(price.source.length, price.model).toBeGreaterThan(20);
      expect(price.source, price.model).toMatch(/\d{4}-\d{2}-\d{2}/);
      expect(parseEffectiveDate(price.effectiveFrom), price.model).toBeLessThanOrEqual(
        parseEffectiveDate(SHIPPED_CATALOG_VERSION) ?? 0,
      );
      expect(price.free, price.model).toBeUndefined();
      expect(price.input, price.model).toBeGreaterThan(0);
    }
  });

  it('no two entries share a model, provider and date, and no name is listed twice', () => {
    const keys = new Set<string>();
    const names = new Map<string, string>();
    for (const price of SHIPPED_PRICES) {
      const key = `${price.model}|${price.provider}|${price.effectiveFrom}`;
      expect(keys.has(key), key).toBe(false);
      keys.add(key);
      for (const alias of price.aliases ?? []) {
        expect(names.get(alias) ?? price.model, alias).toBe(price.model);
        names.set(alias, price.model);
        expect(
          SHIPPED_PRICES.some((p) => p.model === alias),
          `${alias} is both a model and an alias`,
        ).toBe(false);
      }
    }
  });

  it('Anthropic cache writes are 1.25× (5 minutes) and 2× (1 hour) input, in every tier', () => {
    for (const price of SHIPPED_PRICES.filter((p) => p.provider === 'anthropic')) {
      for (const p of allPrices(price)) {
        // Claude 3 Haiku is the published exception: 5-minute writes at $0.30, not $0.3125.
        const fiveMinutes = price.model === 'claude-3-haiku' ? 300_000 : p.input * 1.25;
        expect(p.cacheWrite, price.model).toBe(fiveMinutes);
        expect(p.cacheWrite1h, price.model).toBe(p.input * 2);
        expect(p.cacheRead, price.model).toBeLessThan(p.input);
      }
    }
  });

  it('cache reads are cheaper than input, and tiers dearer than base', () => {
    for (const price of SHIPPED_PRICES) {
      for (const p of allPrices(price)) {
        if (p.cacheRead !== undefined) expect(p.cacheRead, price.model).toBeLessThan(p.input);
      }
      for (const tier of price.tiers ?? []) {
        expect(tier.input, price.model).toBeGreaterThan(price.input);
        expect(tier.output, price.model).toBeGreaterThan(price.output);
      }
    }
  });

  it('reads like the price pages: a few spot checks in pico-USD per token', () => {
    const at = (model: string) => new PriceCatalog().lookup(model, undefined, NOV_2026);
    expect(at('gpt-5')).toMatchObject({ input: 1_250_000, cacheRead: 125_000, output: 10_000_000 });
    expect(at('claude-opus-4-8')).toMatchObject({
      input: 5_000_000,
      cacheWrite: 6_250_000,
      output: 25_000_000,
    });
    expect(at('claude-haiku-5-5')?.tiers).toEqual([
      {
        aboveInputTokens: 100_000,
        input: 500_000,
        cacheWrite: 625_000,
        cacheWrite1h: 1_000_000,
        cacheRead: 50_000,
        output: 2_500_000,
      },
    ]);
    expect(at('gemini-3-pro-preview')?.tiers?.[0]).toMatchObject({
      aboveInputTokens: 200_000,
      input: 4_000_000,
    });
    expect(at('gpt-5.5')?.tiers?.[0]).toMatchObject({
      aboveInputTokens: 272_000,
      input: 10_000_000,
      output: 45_000_000,
    });
    expect(at('text-embedding-3-small')).toMatchObject({ input: 20_000, output: 0 });
  });
});
