export {
  type CatalogEntry,
  type ImportSummary,
  PriceCatalog,
  type PriceCatalogOptions,
  type PriceOrigin,
} from './catalog.ts';
export { type CostBreakdown, type CostInput, type CostResult, type CostSource, computeCost } from './cost.ts';
export {
  type LiteLLMImport,
  type LiteLLMImportOptions,
  type LiteLLMImportSummary,
  MAX_USD_PER_TOKEN,
  parseLiteLLM,
  semconvProvider,
} from './litellm.ts';
export { modelCandidates } from './model-name.ts';
export {
  formatUsd,
  type ModelPrice,
  nanoToUsd,
  type PriceTier,
  type TokenPrices,
  tokenPricesFromUsdPerMTok,
  type UsdPerMTokPrices,
  usdPerMTokToPico,
  usdToNano,
} from './price.ts';
export {
  MIN_USD_PER_MTOK,
  type PriceEntryInput,
  parsePriceConfig,
  parsePriceEntry,
  priceEntrySchema,
} from './price-config.ts';
export { SHIPPED_CATALOG_VERSION, SHIPPED_PRICES } from './shipped-prices.ts';
export { ALWAYS, ANY_PROVIDER, assertModelPrice, parseEffectiveDate } from './validate-price.ts';
