import { ValidationError } from '../validation/errors.ts';
import type { ModelPrice, PriceTier, TokenPrices } from './price.ts';
import { formatPrice, scaledForMessage } from './price-config.ts';
import { ALWAYS, ANY_PROVIDER } from './validate-price.ts';

/**
 * Import of LiteLLM's `model_prices_and_context_window.json`: an object keyed by model name
 * whose prices are USD per token as floats (`"input_cost_per_token": 2.5e-06`). Converted to
 * integer pico-USD per token (USD × 1e12, rounded), which holds every published price exactly.
 *
 * The whole file is validated before anything is returned: one malformed price rejects the
 * file, naming the key and field, so a catalog is never left half-imported.
 */

/** LiteLLM's per-token fields and the catalog fields they become. */
const FIELD_MAP = {
  input_cost_per_token: 'input',
  output_cost_per_token: 'output',
  cache_read_input_token_cost: 'cacheRead',
  cache_creation_input_token_cost: 'cacheWrite',
  cache_creation_input_token_cost_above_1hr: 'cacheWrite1h',
  output_cost_per_reasoning_token: 'reasoning',
} as const satisfies Record<string, keyof TokenPrices>;

type LiteLLMField = keyof typeof FIELD_MAP;

/** `<field>_above_<N>k_tokens`: the price once input passes N thousand tokens (long-context tier). */
const TIER_KEY = /^(.+)_above_(\d+)k_tokens$/;

/**
 * A per-token price above $0.01 ($10,000 per 1M tokens, ~17× the dearest published output
 * price) is a per-million figure typed into a per-token field.
 */
export const MAX_USD_PER_TOKEN = 0.01;

const PICO_PER_USD = 1e12;

/** LiteLLM provider ids → `gen_ai.provider.name` values of the GenAI semantic conventions. */
const PROVIDERS: Record<string, string> = {
  openai: 'openai',
  'text-completion-openai': 'openai',
  anthropic: 'anthropic',
  gemini: 'gcp.gemini',
  vertex_ai: 'gcp.vertex_ai',
  azure: 'azure.ai.openai',
  azure_text: 'azure.ai.openai',
  azure_ai: 'azure.ai.inference',
  bedrock: 'aws.bedrock',
  bedrock_converse: 'aws.bedrock',
  mistral: 'mistral_ai',
  cohere: 'cohere',
  cohere_chat: 'cohere',
  groq: 'groq',
  deepseek: 'deepseek',
  xai: 'x_ai',
  perplexity: 'perplexity',
  watsonx: 'ibm.watsonx.ai',
};

export function semconvProvider(litellmProvider: string | undefined): string {
  if (!litellmProvider) return ANY_PROVIDER;
  const known = PROVIDERS[litellmProvider];
  if (known) return known;
  // vertex_ai-language-models, vertex_ai-anthropic_models, vertex_ai-embedding-models, …
  if (litellmProvider.startsWith('vertex_ai')) return 'gcp.vertex_ai';
  return litellmProvider;
}

export interface LiteLLMImportSummary {
  /** Entries turned into prices. */
  imported: number;
  /** Of those, entries whose every price is zero, kept as explicitly free. */
  free: number;
  skipped: number;
  /** Why entries were skipped, with counts (e.g. `no token prices: 412`). */
  skippedBy: Record<string, number>;
  /** Imported entries by LiteLLM `mode` (chat, embedding, …). */
  byMode: Record<string, number>;
}

export interface LiteLLMImport {
  prices: ModelPrice[];
  summary: LiteLLMImportSummary;
}

export interface LiteLLMImportOptions {
  /** Recorded on every imported entry; say which copy of the file and when. */
  source?: string;
  /** Effective date of the imported prices; default: they apply to every record. */
  effectiveFrom?: string;
}

const WHAT = 'LiteLLM price file';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates one per-token price and converts it to integer pico-USD. */
function picoPerToken(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValidationError(
      field,
      `must be a finite number of USD per token, got ${JSON.stringify(value)}`,
      WHAT,
    );
  }
  if (value < 0) throw new ValidationError(field, `must not be negative, got ${formatPrice(value)}`, WHAT);
  if (value > MAX_USD_PER_TOKEN) {
    throw new ValidationError(
      field,
      `${formatPrice(value)} looks like a per-1M-tokens price; LiteLLM prices are USD per token ` +
        `(did you mean ${scaledForMessage(value, 1e-6)}?)`,
      WHAT,
    );
  }
  return Math.round(value * PICO_PER_USD);
}

function isLiteLLMField(name: string): name is LiteLLMField {
  return Object.hasOwn(FIELD_MAP, name);
}

interface ParsedEntry {
  base: Partial<TokenPrices>;
  tiers: Map<number, Partial<TokenPrices>>;
  provider: string;
  mode: string | undefined;
}

/** Reads the price fields of one entry; throws naming `["key"].field` on the first bad one. */
function readEntry(key: string, entry: Record<string, unknown>): ParsedEntry {
  const at = `[${JSON.stringify(key)}]`;
  const provider = entry.litellm_provider;
  if (provider !== undefined && typeof provider !== 'string') {
    throw new ValidationError(`${at}.litellm_provider`, 'must be a string', WHAT);
  }
  const mode = entry.mode;
  if (mode !== undefined && typeof mode !== 'string') {
    throw new ValidationError(`${at}.mode`, 'must be a string', WHAT);
  }
  const parsed: ParsedEntry = { base: {}, tiers: new Map(), provider: semconvProvider(provider), mode };
  for (const [name, value] of Object.entries(entry)) {
    if (isLiteLLMField(name)) {
      parsed.base[FIELD_MAP[name]] = picoPerToken(value, `${at}.${name}`);
      continue;
    }
    const tier = TIER_KEY.exec(name);
    if (!tier || !isLiteLLMField(tier[1] ?? '')) continue; // priority/flex/batch and non-token fields
    const thousands = Number(tier[2]);
    if (thousands <= 0) throw new ValidationError(`${at}.${name}`, 'tier threshold must be above 0', WHAT);
    const above = thousands * 1000;
    const prices = parsed.tiers.get(above) ?? {};
    prices[FIELD_MAP[tier[1] as LiteLLMField]] = picoPerToken(value, `${at}.${name}`);
    parsed.tiers.set(above, prices);
  }
  return parsed;
}

/** Fields a tier does not list keep the base price (LiteLLM lists only what changes). */
function tierPrices(base: TokenPrices, tier: Partial<TokenPrices>, aboveInputTokens: number): PriceTier {
  const merged: PriceTier = { aboveInputTokens, input: base.input, output: base.output };
  for (const field of ['cacheRead', 'cacheWrite', 'cacheWrite1h', 'reasoning'] as const) {
    const value = base[field];
    if (value !== undefined) merged[field] = value;
  }
  return Object.assign(merged, tier);
}

function allZero(price: ModelPrice): boolean {
  const fields = ['input', 'output', 'cacheRead', 'cacheWrite', 'cacheWrite1h', 'reasoning'] as const;
  return [price, ...(price.tiers ?? [])].every((p) => fields.every((f) => (p[f] ?? 0) === 0));
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Parses the file (object or JSON text) into catalog prices plus a summary; throws on any bad price. */
export function parseLiteLLM(json: unknown, options: LiteLLMImportOptions = {}): LiteLLMImport {
  let data = json;
  if (typeof json === 'string') {
    try {
      data = JSON.parse(json);
    } catch (error) {
      throw new ValidationError('', `not valid JSON: ${(error as Error).message}`, WHAT);
    }
  }
  if (!isPlainObject(data)) throw new ValidationError('', 'must be an object keyed by model name', WHAT);

  const source = options.source ?? 'LiteLLM model_prices_and_context_window.json';
  const effectiveFrom = options.effectiveFrom ?? ALWAYS;
  const prices: ModelPrice[] = [];
  const seen = new Set<string>();
  const summary: LiteLLMImportSummary = { imported: 0, free: 0, skipped: 0, skippedBy: {}, byMode: {} };
  const skip = (reason: string): void => {
    summary.skipped += 1;
    bump(summary.skippedBy, reason);
  };

  for (const [key, entry] of Object.entries(data)) {
    if (key === 'sample_spec') {
      skip('sample_spec (the format description)');
      continue;
    }
    if (!isPlainObject(entry))
      throw new ValidationError(`[${JSON.stringify(key)}]`, 'must be an object', WHAT);
    const parsed = readEntry(key, entry);
    if (parsed.base.input === undefined && parsed.base.output === undefined) {
      skip('no token prices (per image, second or character)');
      continue;
    }
    // Routing prefixes (azure/, gemini/, openrouter/anthropic/) name the provider, kept apart below.
    const model = key.slice(key.lastIndexOf('/') + 1);
    const dedupKey = `${model.toLowerCase()}\u0000${parsed.provider}`;
    if (seen.has(dedupKey)) {
      skip('duplicate model and provider (first kept)');
      continue;
    }
    seen.add(dedupKey);
    const base: TokenPrices = {
      ...parsed.base,
      input: parsed.base.input ?? 0,
      output: parsed.base.output ?? 0,
    };
    const price: ModelPrice = { model, provider: parsed.provider, effectiveFrom, source, ...base };
    if (model !== key) price.aliases = [key];
    const tiers = [...parsed.tiers.entries()].sort(([a], [b]) => a - b);
    if (tiers.length > 0) price.tiers = tiers.map(([above, tier]) => tierPrices(base, tier, above));
    // LiteLLM writes 0 for models that cost nothing (free experimental or open-weight tiers):
    // an explicit published zero, kept as free rather than as unpriced.
    if (allZero(price)) {
      price.free = true;
      summary.free += 1;
    }
    prices.push(price);
    summary.imported += 1;
    bump(summary.byMode, parsed.mode ?? 'unknown');
  }
  return { prices, summary };
}
