import { describe, expect, it } from 'vitest';
import { PriceCatalog } from '../../src/pricing/catalog.ts';
import { modelCandidates } from '../../src/pricing/model-name.ts';
import { parsePriceConfig, parsePriceEntry } from '../../src/pricing/price-config.ts';
import { SHIPPED_CATALOG_VERSION } from '../../src/pricing/shipped-prices.ts';
import { NOV_2026, record, usage } from './helpers.ts';

const day = (iso: string) => Date.parse(`${iso}T12:00:00Z`);

describe('model name matching', () => {
  const catalog = new PriceCatalog();
  const modelOf = (name: string, provider?: string) => catalog.lookup(name, provider, NOV_2026)?.model;

  it('exact name', () => {
    expect(modelOf('gpt-4o')).toBe('gpt-4o');
    expect(modelOf('claude-haiku-4-5')).toBe('claude-haiku-4-5');
    expect(modelOf('gemini-2.5-flash-lite')).toBe('gemini-2.5-flash-lite');
  });

  it('ignores case and surrounding space', () => {
    expect(modelOf('GPT-4o')).toBe('gpt-4o');
    expect(modelOf('  Claude-Opus-4-1 ')).toBe('claude-opus-4-1');
  });

  it('strips provider and routing prefixes', () => {
    expect(modelOf('openai/gpt-4o')).toBe('gpt-4o');
    expect(modelOf('models/gemini-2.5-flash')).toBe('gemini-2.5-flash'); // what @google/genai sends
    expect(modelOf('google/gemini-2.5-pro')).toBe('gemini-2.5-pro');
    expect(modelOf('anthropic/claude-sonnet-4-5')).toBe('claude-sonnet-4-5');
    expect(modelOf('anthropic/claude-sonnet-4.5')).toBe('claude-sonnet-4-5'); // OpenRouter spelling
    expect(modelOf('projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash-001')).toBe(
      'gemini-2.0-flash',
    );
    expect(modelOf('us.anthropic.claude-sonnet-4-5-20250929-v1:0')).toBe('claude-sonnet-4-5'); // Bedrock
    expect(modelOf('claude-sonnet-4-5@20250929')).toBe('claude-sonnet-4-5'); // Vertex
    expect(modelOf('claude-opus-4-6[1m]')).toBe('claude-opus-4-6'); // Claude Code
  });

  it('dated variants fall back to the undated base', () => {
    expect(modelOf('gpt-4o-2024-11-20')).toBe('gpt-4o');
    expect(modelOf('gpt-5.4-mini-2026-03-17')).toBe('gpt-5.4-mini');
    expect(modelOf('claude-sonnet-4-5-20250929')).toBe('claude-sonnet-4-5');
    expect(modelOf('claude-sonnet-4-20250514')).toBe('claude-sonnet-4');
    expect(modelOf('claude-3-5-haiku-latest')).toBe('claude-3-5-haiku');
    expect(modelOf('gemini-2.5-flash-preview-09-2025')).toBe('gemini-2.5-flash');
    expect(modelOf('gemini-2.5-pro-preview-06-05')).toBe('gemini-2.5-pro');
    expect(modelOf('claude-sonnet-4-0')).toBe('claude-sonnet-4'); // listed alias
  });

  it('never strips words from the middle: a different model stays unpriced', () => {
    expect(modelOf('gpt-4o-audio-preview')).toBeUndefined();
    expect(modelCandidates('gpt-4o-audio-preview')).toEqual(['gpt-4o-audio-preview', 'gpt-4o-audio']);
    expect(modelOf('gpt-4o-mini-search-preview-2025-03-11')).toBeUndefined();
  });

  it('a listed dated variant wins over its base', () => {
    const listed = catalog.lookup('gpt-4o-2024-05-13', 'openai', NOV_2026);
    expect(listed?.model).toBe('gpt-4o-2024-05-13');
    expect(listed?.input).toBe(5_000_000); // $5/M, not gpt-4o's $2.50/M
  });
});

describe('custom entries win over shipped ones', () => {
  it('set, then removed', () => {
    const catalog = new PriceCatalog();
    expect(catalog.lookup('gpt-4o', 'openai', NOV_2026)?.input).toBe(2_500_000);
    const before = catalog.version;
    const after = catalog.setCustom(parsePriceEntry({ model: 'gpt-4o', input: 2, output: 8 }));
    expect(after).not.toBe(before);
    expect(catalog.version).toBe(after);
    // Memoized lookups are invalidated by the change.
    expect(catalog.lookup('gpt-4o-2024-08-06', 'openai', NOV_2026)).toMatchObject({
      model: 'gpt-4o',
      input: 2_000_000,
    });
    expect(catalog.lookup('openai/gpt-4o', 'openai', NOV_2026)?.input).toBe(2_000_000);
    expect(catalog.removeCustom('GPT-4o')).toBe(1);
    expect(catalog.lookup('gpt-4o', 'openai', NOV_2026)?.input).toBe(2_500_000);
    expect(catalog.version).toBe(SHIPPED_CATALOG_VERSION);
    expect(catalog.removeCustom('gpt-4o')).toBe(0);
  });

  it('a custom entry for one provider does not reprice another provider that has its own price', () => {
    const catalog = new PriceCatalog({
      custom: parsePriceConfig([{ model: 'gpt-4o', provider: 'azure.ai.openai', input: 2.75, output: 11 }]),
    });
    expect(catalog.lookup('gpt-4o', 'azure.ai.openai', NOV_2026)?.input).toBe(2_750_000);
    expect(catalog.lookup('gpt-4o', 'openai', NOV_2026)?.input).toBe(2_500_000);
  });

  it('a custom entry for another provider still prices an otherwise unpriced model (self-hosted behind the OpenAI SDK)', () => {
    const catalog = new PriceCatalog({
      custom: parsePriceConfig([{ model: 'qwen3-32b', provider: 'vllm', input: 0.1, output: 0.3 }]),
    });
    expect(catalog.lookup('qwen3-32b', 'openai', NOV_2026)?.provider).toBe('vllm');
  });

  it('a cloud reseller falls back to the maker’s list price', () => {
    const catalog = new PriceCatalog();
    expect(catalog.lookup('gemini-2.5-pro', 'gcp.vertex_ai', NOV_2026)?.provider).toBe('gcp.gemini');
    expect(catalog.lookup('anthropic.claude-haiku-4-5-20251001-v1:0', 'aws.bedrock', NOV_2026)?.model).toBe(
      'claude-haiku-4-5',
    );
  });

  it('the version hashes the custom content: same prices, same version', () => {
    const entries = [{ model: 'a', input: 1, output: 2 }];
    const one = new PriceCatalog({ custom: parsePriceConfig(entries) });
    const two = new PriceCatalog({ custom: parsePriceConfig(entries) });
    const other = new PriceCatalog({ custom: parsePriceConfig([{ model: 'a', input: 1, output: 3 }]) });
    expect(one.version).toBe(two.version);
    expect(one.version).not.toBe(other.version);
    expect(new PriceCatalog({ version: 'test-1' }).version).toBe('test-1');
  });

  it('list() marks where each entry came from', () => {
    const catalog = new PriceCatalog({ custom: parsePriceConfig([{ model: 'a', input: 1, output: 2 }]) });
    const listed = catalog.list();
    expect(listed[0]).toMatchObject({
      model: 'a',
      origin: 'custom',
      provider: '*',
      effectiveFrom: '1970-01-01',
    });
    expect(listed.filter((e) => e.origin === 'shipped').length).toBeGreaterThan(50);
  });
});

describe('effective dates', () => {
  const catalog = new PriceCatalog();

  it('o3: launch price, then the 2025-06-10 cut', () => {
    expect(catalog.lookup('o3', 'openai', day('2025-05-01'))?.input).toBe(10_000_000);
    expect(catalog.lookup('o3-2025-04-16', 'openai', day('2025-06-09'))?.input).toBe(10_000_000);
    expect(catalog.lookup('o3', 'openai', Date.parse('2025-06-10T00:00:00Z'))?.input).toBe(2_000_000);
    expect(catalog.lookup('o3', 'openai', NOV_2026)?.output).toBe(8_000_000);
  });

  it('Claude Sonnet 5.5 cache reads: $0.20, then $0.10 from 2026-10-07', () => {
    expect(catalog.lookup('claude-sonnet-5-5', 'anthropic', day('2026-10-06'))?.cacheRead).toBe(200_000);
    expect(catalog.lookup('claude-sonnet-5-5', 'anthropic', day('2026-10-07'))?.cacheRead).toBe(100_000);
  });

  it('a record older than every listed date takes the first known price', () => {
    expect(catalog.lookup('o3', 'openai', day('2020-01-01'))?.input).toBe(10_000_000);
  });

  it('price(record) uses the record time', () => {
    const u = usage({ input: 1_000_000 });
    const before = catalog.price(
      record({ provider: 'openai', requestModel: 'o3', time: day('2025-05-01'), usage: u }),
    );
    const after = catalog.price(
      record({ provider: 'openai', requestModel: 'o3', time: day('2025-07-01'), usage: u }),
    );
    expect(before.nanoUsd).toBe(10_000_000_000); // $10
    expect(after.nanoUsd).toBe(2_000_000_000); // $2
  });

  it('custom entries carry their own dates', () => {
    const dated = new PriceCatalog({
      custom: parsePriceConfig([
        { model: 'house-model', input: 1, output: 2, effectiveFrom: '2026-01-01' },
        { model: 'house-model', input: 0.5, output: 1, effectiveFrom: '2026-07-01' },
      ]),
    });
    expect(dated.lookup('house-model', undefined, day('2026-03-01'))?.input).toBe(1_000_000);
    expect(dated.lookup('house-model', undefined, day('2026-08-01'))?.input).toBe(500_000);
  });
});

describe('memoization', () => {
  it('stays within its bound under a flood of distinct model strings', () => {
    const catalog = new PriceCatalog({ memoSize: 100 });
    for (let i = 0; i < 1000; i++) catalog.lookup(`made-up-model-${i}`, 'openai');
    expect(catalog.memoSize).toBe(100);
    expect(catalog.lookup('gpt-4o', 'openai', NOV_2026)?.model).toBe('gpt-4o');
  });

  it('answers repeated lookups fast', () => {
    const catalog = new PriceCatalog();
    const names = ['gpt-4o-2024-08-06', 'models/gemini-2.5-flash', 'claude-sonnet-4-5-20250929', 'nope'];
    const start = performance.now();
    for (let i = 0; i < 200_000; i++) catalog.lookup(names[i % names.length] ?? '', 'openai', NOV_2026);
    // Generous bound (shared CI cores): well under 1 µs per lookup once memoized.
    expect(performance.now() - start).toBeLessThan(1000);
  });
});
