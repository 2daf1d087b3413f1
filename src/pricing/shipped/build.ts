import { type ModelPrice, tokenPricesFromUsdPerMTok, type UsdPerMTokPrices } from '../price.ts';

/**
 * Helpers so the shipped tables read like the price pages they were copied from: every figure
 * is USD per 1M tokens, converted once here to integer pico-USD per token.
 */
export interface ListedPrice extends UsdPerMTokPrices {
  aliases?: string[];
  /** Long-context prices that replace the base ones once input passes `aboveInputTokens`. */
  tiers?: (UsdPerMTokPrices & { aboveInputTokens: number })[];
}

/** One provider's price list read from one source: `(model, effectiveFrom, prices) → ModelPrice`. */
export function priceList(provider: string, source: string) {
  return (model: string, effectiveFrom: string, listed: ListedPrice): ModelPrice => {
    const { aliases, tiers, ...prices } = listed;
    const price: ModelPrice = {
      model,
      provider,
      effectiveFrom,
      source,
      ...tokenPricesFromUsdPerMTok(prices),
    };
    if (aliases?.length) price.aliases = aliases;
    if (tiers?.length) {
      price.tiers = tiers.map(({ aboveInputTokens, ...tier }) => ({
        aboveInputTokens,
        ...tokenPricesFromUsdPerMTok(tier),
      }));
    }
    return price;
  };
}
