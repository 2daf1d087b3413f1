import { z } from 'zod';
import { ValidationError } from '../validation/errors.ts';
import {
  type ModelPrice,
  type PriceTier,
  tokenPricesFromUsdPerMTok,
  type UsdPerMTokPrices,
} from './price.ts';
import { ALWAYS, ANY_PROVIDER, parseEffectiveDate } from './validate-price.ts';

/**
 * User-supplied prices, written in USD per 1M tokens exactly as price pages print them
 * (`input: 2.5` for $2.50/M). Checked at load time so a typo cannot quietly make every
 * call cost a millionth of its price (or nothing at all), which is how budgets stop working.
 */

/**
 * A non-zero price below this many USD per 1M tokens is taken for a per-token figure typed
 * where per-million is expected: $0.001/M is five times cheaper than the cheapest published
 * list price (cached input on the smallest models), while per-token prices sit near 1e-6.
 */
export const MIN_USD_PER_MTOK = 0.001;

/** Prints tiny numbers the way people type them (2.5e-6, not 0.0000025). */
export function formatPrice(value: number): string {
  return value !== 0 && Math.abs(value) < 1e-3 ? value.toExponential() : String(value);
}

/** value × factor without float noise in the message (2.5e-6 × 1e6 → 2.5, not 2.4999999999999996). */
export function scaledForMessage(value: number, factor: number): string {
  return formatPrice(Number((value * factor).toPrecision(12)));
}

const usdPerMTok = z
  .number({ error: 'must be a finite number of USD per 1M tokens' })
  .nonnegative('must not be negative')
  .superRefine((value, ctx) => {
    if (value > 0 && value < MIN_USD_PER_MTOK) {
      ctx.addIssue({
        code: 'custom',
        message:
          `${formatPrice(value)} looks like a per-token price; prices here are USD per 1M tokens ` +
          `(did you mean ${scaledForMessage(value, 1e6)}?)`,
      });
    }
  });

const optionalPrices = {
  cacheRead: usdPerMTok.optional(),
  cacheWrite: usdPerMTok.optional(),
  cacheWrite1h: usdPerMTok.optional(),
  reasoning: usdPerMTok.optional(),
};

const tierSchema = z.strictObject({
  aboveInputTokens: z
    .number({ error: 'must be a number of input tokens' })
    .int('must be a whole number of tokens')
    .positive('must be above 0'),
  input: usdPerMTok,
  output: usdPerMTok,
  ...optionalPrices,
});

const PRICE_FIELDS = ['input', 'output', 'cacheRead', 'cacheWrite', 'cacheWrite1h', 'reasoning'] as const;

export const priceEntrySchema = z
  .strictObject({
    model: z.string({ error: 'must be a model name' }).trim().min(1, 'must not be empty'),
    provider: z.string({ error: 'must be a provider name' }).trim().min(1, 'must not be empty').optional(),
    input: usdPerMTok.optional(),
    output: usdPerMTok.optional(),
    ...optionalPrices,
    tiers: z.array(tierSchema).optional(),
    free: z.literal(true, { error: 'must be true when given (omit it for a paid model)' }).optional(),
    effectiveFrom: z
      .string({ error: 'must be a date YYYY-MM-DD' })
      .refine((d) => parseEffectiveDate(d) !== undefined, 'must be a calendar date YYYY-MM-DD')
      .optional(),
    aliases: z.array(z.string().trim().min(1, 'must not be empty')).optional(),
    source: z.string().optional(),
  })
  .superRefine((entry, ctx) => {
    if (entry.free) {
      for (const field of PRICE_FIELDS) {
        if ((entry[field] ?? 0) !== 0) {
          ctx.addIssue({
            code: 'custom',
            path: [field],
            message: 'must be 0 or omitted on a free: true entry',
          });
        }
      }
      if (entry.tiers?.length) {
        ctx.addIssue({ code: 'custom', path: ['tiers'], message: 'a free: true entry has no price tiers' });
      }
      return;
    }
    for (const field of ['input', 'output'] as const) {
      if (entry[field] === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: 'is required (USD per 1M tokens); for a self-hosted model set free: true',
        });
      }
    }
    if (entry.input === 0 && entry.output === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['input'],
        message:
          'input and output are both 0, which would hide this model’s spend; ' +
          'if it really costs nothing (self-hosted: Ollama, vLLM) set free: true',
      });
    }
    const seen = new Set<number>();
    entry.tiers?.forEach((tier, i) => {
      if (seen.has(tier.aboveInputTokens)) {
        ctx.addIssue({
          code: 'custom',
          path: ['tiers', i, 'aboveInputTokens'],
          message: `${tier.aboveInputTokens} is listed twice`,
        });
      }
      seen.add(tier.aboveInputTokens);
    });
  });

export type PriceEntryInput = z.input<typeof priceEntrySchema>;
type PriceEntry = z.output<typeof priceEntrySchema>;

function usdPrices(p: UsdPerMTokPrices): UsdPerMTokPrices {
  return {
    input: p.input,
    output: p.output,
    cacheRead: p.cacheRead,
    cacheWrite: p.cacheWrite,
    cacheWrite1h: p.cacheWrite1h,
    reasoning: p.reasoning,
  };
}

/** A validated entry → catalog units (integer pico-USD per token). */
function toModelPrice(entry: PriceEntry): ModelPrice {
  const price: ModelPrice = {
    model: entry.model,
    provider: entry.provider ?? ANY_PROVIDER,
    effectiveFrom: entry.effectiveFrom ?? ALWAYS,
    source: entry.source ?? 'custom price',
    ...tokenPricesFromUsdPerMTok(usdPrices({ ...entry, input: entry.input ?? 0, output: entry.output ?? 0 })),
  };
  if (entry.aliases?.length) price.aliases = [...entry.aliases];
  if (entry.tiers?.length) {
    price.tiers = entry.tiers.map((tier): PriceTier => ({
      aboveInputTokens: tier.aboveInputTokens,
      ...tokenPricesFromUsdPerMTok(usdPrices(tier)),
    }));
  }
  if (entry.free) price.free = true;
  return price;
}

/** A zod path as people read it: prices[3].tiers[0].input. */
export function fieldPath(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : `${acc}${acc ? '.' : ''}${String(key)}`),
    root,
  );
}

function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, root: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new ValidationError(fieldPath(root, issue?.path ?? []), issue?.message ?? 'invalid');
}

/** One entry (e.g. from `POST /v1/prices`). Errors name the field: `price.input: must not be negative`. */
export function parsePriceEntry(input: unknown, root = 'price'): ModelPrice {
  return toModelPrice(parseOrThrow(priceEntrySchema, input, root));
}

const priceListSchema = z.array(priceEntrySchema, { error: 'must be a list of price entries' });

/**
 * A list of entries (the `prices:` section of the config). All or nothing: the first bad
 * entry rejects the list, so a half-loaded price table never prices anything.
 */
export function parsePriceConfig(input: unknown, root = 'prices'): ModelPrice[] {
  const prices = parseOrThrow(priceListSchema, input, root).map(toModelPrice);
  const seen = new Map<string, number>();
  prices.forEach((p, i) => {
    const key = `${p.model.toLowerCase()}\u0000${p.provider}\u0000${p.effectiveFrom}`;
    const first = seen.get(key);
    if (first !== undefined) {
      throw new ValidationError(
        `${root}[${i}]`,
        `repeats ${root}[${first}] (same model, provider and effectiveFrom); give it another effectiveFrom or remove one`,
      );
    }
    seen.set(key, i);
  });
  return prices;
}
