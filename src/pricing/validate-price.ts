import { ValidationError } from '../validation/errors.ts';
import type { ModelPrice, TokenPrices } from './price.ts';

/** Provider of a custom entry written without one: it prices the model whoever serves it. */
export const ANY_PROVIDER = '*';

/** Effective date used when a custom entry gives none: it applies to every record, old or new. */
export const ALWAYS = '1970-01-01';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * `YYYY-MM-DD` → epoch ms at UTC midnight, or undefined when it is not a real calendar date.
 * Round-tripping rejects dates Date.parse would silently roll over (2026-02-30 → March 2).
 */
export function parseEffectiveDate(date: string): number | undefined {
  if (!ISO_DATE.test(date)) return undefined;
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date) return undefined;
  return ms;
}

const PRICE_FIELDS = ['input', 'output', 'cacheRead', 'cacheWrite', 'cacheWrite1h', 'reasoning'] as const;

function checkPrices(p: TokenPrices, path: string, what: string): void {
  for (const field of PRICE_FIELDS) {
    const value = p[field];
    if (value === undefined && (field === 'input' || field === 'output')) {
      throw new ValidationError(`${path}${field}`, 'is required', what);
    }
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
      throw new ValidationError(
        `${path}${field}`,
        `must be a non-negative whole number of pico-USD per token, got ${value}`,
        what,
      );
    }
  }
}

/**
 * Checks a price already in catalog units (integer pico-USD per token). Entries built by
 * the config parser and the LiteLLM importer pass by construction; this guards prices that
 * reach `PriceCatalog.setCustom` or the constructor directly from code.
 */
export function assertModelPrice(price: ModelPrice, what = 'price'): ModelPrice {
  if (typeof price.model !== 'string' || price.model.trim() === '') {
    throw new ValidationError('model', 'must be a non-empty model name', what);
  }
  if (typeof price.provider !== 'string' || price.provider.trim() === '') {
    throw new ValidationError('provider', `must be a provider name or "${ANY_PROVIDER}"`, what);
  }
  if (parseEffectiveDate(price.effectiveFrom) === undefined) {
    throw new ValidationError(
      'effectiveFrom',
      `must be a calendar date YYYY-MM-DD, got "${price.effectiveFrom}"`,
      what,
    );
  }
  checkPrices(price, '', what);
  const seen = new Set<number>();
  (price.tiers ?? []).forEach((tier, i) => {
    const at = `tiers[${i}].`;
    if (!(Number.isSafeInteger(tier.aboveInputTokens) && tier.aboveInputTokens > 0)) {
      throw new ValidationError(`${at}aboveInputTokens`, 'must be a positive whole number of tokens', what);
    }
    if (seen.has(tier.aboveInputTokens)) {
      throw new ValidationError(`${at}aboveInputTokens`, `${tier.aboveInputTokens} is listed twice`, what);
    }
    seen.add(tier.aboveInputTokens);
    checkPrices(tier, at, what);
  });
  if (price.free && hasNonZeroPrice(price)) {
    throw new ValidationError('free', 'a free entry must have every price at zero', what);
  }
  return price;
}

function hasNonZeroPrice(price: ModelPrice): boolean {
  const all: TokenPrices[] = [price, ...(price.tiers ?? [])];
  return all.some((p) => PRICE_FIELDS.some((field) => (p[field] ?? 0) !== 0));
}
