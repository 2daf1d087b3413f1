/**
 * Prices are held as integer pico-USD per token (= micro-USD per million tokens), so
 * any published per-million price with up to six decimals is exact and a call's
 * cost is an exact integer product. Users write prices in USD per million tokens.
 */
export interface TokenPrices {
  /** Uncached input tokens. */
  input: number;
  /** Output tokens (reasoning included unless `reasoning` is set). */
  output: number;
  /** Cache reads; defaults to `input` when the provider has no discount. */
  cacheRead?: number;
  /** Cache writes (Anthropic: 5-minute TTL); defaults to `input`. */
  cacheWrite?: number;
  /** Anthropic 1-hour cache writes; defaults to `cacheWrite`. */
  cacheWrite1h?: number;
  /** Reasoning tokens, only where priced apart from output. */
  reasoning?: number;
}

/** Prices that replace the base ones for the whole call once input tokens pass `aboveInputTokens`. */
export interface PriceTier extends TokenPrices {
  aboveInputTokens: number;
}

export interface ModelPrice extends TokenPrices {
  /** Canonical model name, as the provider spells it. */
  model: string;
  /** gen_ai.provider.name of the provider whose list this price comes from. */
  provider: string;
  /** ISO date from which this price applies. */
  effectiveFrom: string;
  /** Where the figure comes from and when it was read. */
  source: string;
  /** Other names that resolve to this entry (e.g. a `-latest` alias). */
  aliases?: string[];
  tiers?: PriceTier[];
  /** Explicitly free (self-hosted): priced at zero, which is not "unpriced". */
  free?: boolean;
}

export const PICO_PER_NANO = 1000;
export const PICO_PER_USD_PER_MTOK = 1_000_000;
export const NANO_PER_USD = 1_000_000_000;

/** USD per million tokens → integer pico-USD per token. */
export function usdPerMTokToPico(usdPerMTok: number): number {
  return Math.round(usdPerMTok * PICO_PER_USD_PER_MTOK);
}

/** Integer nano-USD → a USD number for display only (never summed). */
export function nanoToUsd(nano: number): number {
  return nano / NANO_PER_USD;
}

/** USD (display or config) → integer nano-USD. */
export function usdToNano(usd: number): number {
  return Math.round(usd * NANO_PER_USD);
}

/** Formats integer nano-USD as a USD string without float summation errors. */
export function formatUsd(nano: number, decimals = 6): string {
  const sign = nano < 0 ? '-' : '';
  const abs = Math.abs(Math.round(nano));
  const whole = Math.floor(abs / NANO_PER_USD);
  const frac = String(abs % NANO_PER_USD)
    .padStart(9, '0')
    .slice(0, decimals);
  return `${sign}$${whole}${decimals > 0 ? `.${frac}` : ''}`;
}

/** Token prices as price pages print them: USD per 1M tokens (the form users write). */
export interface UsdPerMTokPrices {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
  cacheWrite1h?: number;
  reasoning?: number;
}

const OPTIONAL_PRICE_FIELDS = ['cacheRead', 'cacheWrite', 'cacheWrite1h', 'reasoning'] as const;

/**
 * USD per 1M tokens → integer pico-USD per token, field by field. Absent optional
 * fields stay absent (not zero), so cost.ts can apply its documented defaults.
 */
export function tokenPricesFromUsdPerMTok(p: UsdPerMTokPrices): TokenPrices {
  const out: TokenPrices = { input: usdPerMTokToPico(p.input), output: usdPerMTokToPico(p.output) };
  for (const field of OPTIONAL_PRICE_FIELDS) {
    const value = p[field];
    if (value !== undefined) out[field] = usdPerMTokToPico(value);
  }
  return out;
}
