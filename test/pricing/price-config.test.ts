import { describe, expect, it } from 'vitest';
import { parsePriceConfig, parsePriceEntry } from '../../src/pricing/price-config.ts';
import { ValidationError } from '../../src/validation/errors.ts';

/** The thrown error's message, asserting it is a ValidationError. */
function rejection(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

const ok = { model: 'm', input: 1, output: 2 };

describe('custom price config', () => {
  it('converts USD per 1M tokens to integer pico-USD per token', () => {
    const [price] = parsePriceConfig([
      {
        model: 'claude-house',
        provider: 'anthropic',
        input: 3,
        output: 15,
        cacheRead: 0.3,
        cacheWrite: 3.75,
        cacheWrite1h: 6,
        tiers: [{ aboveInputTokens: 200_000, input: 6, output: 22.5 }],
        effectiveFrom: '2026-01-01',
        aliases: ['house'],
        source: 'contract 2026',
      },
    ]);
    expect(price).toEqual({
      model: 'claude-house',
      provider: 'anthropic',
      effectiveFrom: '2026-01-01',
      source: 'contract 2026',
      input: 3_000_000,
      output: 15_000_000,
      cacheRead: 300_000,
      cacheWrite: 3_750_000,
      cacheWrite1h: 6_000_000,
      aliases: ['house'],
      tiers: [{ aboveInputTokens: 200_000, input: 6_000_000, output: 22_500_000 }],
    });
  });

  it('defaults: any provider, always in force', () => {
    expect(parsePriceEntry(ok)).toMatchObject({
      provider: '*',
      effectiveFrom: '1970-01-01',
      source: 'custom price',
    });
  });

  it('rejects a per-token price typed where per-million is expected, with the likely meaning', () => {
    const error = rejection(() =>
      parsePriceConfig([ok, ok, ok, { model: 'x', input: 0.0000025, output: 10 }]),
    );
    expect(error.field).toBe('prices[3].input');
    expect(error.message).toBe(
      'prices[3].input: 2.5e-6 looks like a per-token price; prices here are USD per 1M tokens (did you mean 2.5?)',
    );
  });

  it('flags the same in tiers and optional fields', () => {
    const tier = rejection(() =>
      parsePriceConfig([{ ...ok, tiers: [{ aboveInputTokens: 1000, input: 1, output: 0.00001 }] }]),
    );
    expect(tier.field).toBe('prices[0].tiers[0].output');
    expect(tier.message).toContain('did you mean 10?');
    expect(rejection(() => parsePriceEntry({ ...ok, cacheRead: 3e-7 })).message).toBe(
      'price.cacheRead: 3e-7 looks like a per-token price; prices here are USD per 1M tokens (did you mean 0.3?)',
    );
  });

  it.each([
    ['negative', -1, 'must not be negative'],
    ['NaN', Number.NaN, 'must be a finite number of USD per 1M tokens'],
    ['Infinity', Number.POSITIVE_INFINITY, 'must be a finite number of USD per 1M tokens'],
    ['a string', '2.5', 'must be a finite number of USD per 1M tokens'],
  ])('rejects %s, naming the field', (_label, value, reason) => {
    const error = rejection(() => parsePriceConfig([ok, { model: 'x', input: 1, output: value }]));
    expect(error.field).toBe('prices[1].output');
    expect(error.reason).toBe(reason);
  });

  it('rejects a zero input and output without free: true, pointing at free: true', () => {
    const error = rejection(() => parsePriceConfig([{ model: 'llama', input: 0, output: 0 }]));
    expect(error.field).toBe('prices[0].input');
    expect(error.message).toContain('set free: true');
  });

  it('accepts free: true with no prices, and rejects free: true with a price', () => {
    expect(parsePriceEntry({ model: 'llama3.1:8b', provider: 'ollama', free: true })).toMatchObject({
      input: 0,
      output: 0,
      free: true,
    });
    const error = rejection(() => parsePriceEntry({ model: 'llama', free: true, output: 0.5 }));
    expect(error.field).toBe('price.output');
    expect(error.reason).toBe('must be 0 or omitted on a free: true entry');
    expect(rejection(() => parsePriceEntry({ model: 'llama', free: false, input: 1, output: 1 })).field).toBe(
      'price.free',
    );
  });

  it('requires input and output for a paid model', () => {
    expect(rejection(() => parsePriceEntry({ model: 'm', input: 1 })).field).toBe('price.output');
  });

  it('rejects bad tiers, dates, names and unknown fields', () => {
    expect(
      rejection(() => parsePriceEntry({ ...ok, tiers: [{ aboveInputTokens: 0, input: 1, output: 1 }] }))
        .field,
    ).toBe('price.tiers[0].aboveInputTokens');
    expect(
      rejection(() =>
        parsePriceEntry({
          ...ok,
          tiers: [
            { aboveInputTokens: 5, input: 1, output: 1 },
            { aboveInputTokens: 5, input: 2, output: 2 },
          ],
        }),
      ).field,
    ).toBe('price.tiers[1].aboveInputTokens');
    expect(rejection(() => parsePriceEntry({ ...ok, effectiveFrom: '2026-02-30' })).field).toBe(
      'price.effectiveFrom',
    );
    expect(rejection(() => parsePriceEntry({ ...ok, model: ' ' })).field).toBe('price.model');
    expect(rejection(() => parsePriceEntry({ ...ok, cache_read: 0.3 })).message).toContain('cache_read');
  });

  it('rejects the same model, provider and date twice', () => {
    const error = rejection(() => parsePriceConfig([ok, { ...ok, input: 5 }]));
    expect(error.field).toBe('prices[1]');
    expect(error.reason).toContain('repeats prices[0]');
  });

  it('rejects a list that is not a list', () => {
    expect(rejection(() => parsePriceConfig({ model: 'm' })).field).toBe('prices');
  });
});
