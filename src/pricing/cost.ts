import type { TokenUsage } from '../usage/token-usage.ts';
import { type ModelPrice, PICO_PER_NANO, type TokenPrices } from './price.ts';

export type CostSource = 'computed' | 'provider' | 'free' | 'unpriced';

/** Nano-USD per token type (each rounded from its exact pico-USD figure). */
export interface CostBreakdown {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
}

export interface CostResult {
  /** What the call is charged, in integer nano-USD: the provider's own figure when it reported one. */
  nanoUsd: number;
  /** bursar's computation from the catalog; absent when the model is unpriced. */
  computedNanoUsd?: number;
  /** The provider-reported cost, when there was one. */
  providerNanoUsd?: number;
  source: CostSource;
  /** True when no price matched and the provider reported no cost: never silently $0. */
  unpriced: boolean;
  catalogVersion: string;
  /** The catalog entry that priced the call. */
  priceModel?: string;
  /** The tier threshold used, when a long-context tier applied. */
  tierAboveInputTokens?: number;
  breakdownNanoUsd: CostBreakdown;
}

const ZERO_BREAKDOWN: CostBreakdown = Object.freeze({
  input: 0,
  output: 0,
  cacheRead: 0,
  cacheWrite: 0,
  reasoning: 0,
});

/** The tier whose threshold the call's input passed (highest wins), else the base prices. */
export function pricesFor(price: ModelPrice, inputTokens: number): { prices: TokenPrices; tier?: number } {
  let chosen: { prices: TokenPrices; tier?: number } = { prices: price };
  for (const tier of price.tiers ?? []) {
    if (
      inputTokens > tier.aboveInputTokens &&
      (chosen.tier === undefined || tier.aboveInputTokens > chosen.tier)
    ) {
      chosen = { prices: tier, tier: tier.aboveInputTokens };
    }
  }
  return chosen;
}

/**
 * Exact cost of one call in pico-USD per token type, as BigInt (a 1M-token call at
 * $600/M is 6e14 pico-USD; larger aggregated records pass 2^53). Cache reads and writes are
 * part of input (semconv), so they are taken out of the input charge and priced at
 * their own rate — never charged twice; reasoning is part of output and only moves
 * to its own rate when the model prices it apart.
 */
export function picoBreakdown(prices: TokenPrices, u: TokenUsage): Record<keyof CostBreakdown, bigint> {
  const B = BigInt;
  const cacheWrite = prices.cacheWrite ?? prices.input;
  const cacheWrite1h = prices.cacheWrite1h ?? cacheWrite;
  const uncachedInput = u.input - u.cacheRead - u.cacheWrite;
  const reasoningApart = prices.reasoning !== undefined;
  const plainOutput = reasoningApart ? u.output - u.reasoning : u.output;
  return {
    input: B(uncachedInput) * B(prices.input),
    cacheRead: B(u.cacheRead) * B(prices.cacheRead ?? prices.input),
    cacheWrite: B(u.cacheWrite - u.cacheWrite1h) * B(cacheWrite) + B(u.cacheWrite1h) * B(cacheWrite1h),
    output: B(plainOutput) * B(prices.output),
    reasoning: reasoningApart ? B(u.reasoning) * B(prices.reasoning ?? 0) : 0n,
  };
}

/** Exact pico-USD (an integer below 2^53) to nano-USD, half up. */
function round(pico: number): number {
  return Math.floor((pico + PICO_PER_NANO / 2) / PICO_PER_NANO);
}

/** The total of the last exactCost() (a second result without an object to carry it). */
let exactTotal = 0;

/**
 * Per-type nano-USD; the total, rounded from the exact sum, is left in `exactTotal`.
 * Almost every call's pico-USD figures stay below 2^53, where Number arithmetic on
 * integers is exact; only larger (aggregated) records take the BigInt path. Either way
 * the result is the same exact figure.
 */
function exactCost(prices: TokenPrices, u: TokenUsage): CostBreakdown {
  const cacheWrite = prices.cacheWrite ?? prices.input;
  const cacheWrite1h = prices.cacheWrite1h ?? cacheWrite;
  const reasoningApart = prices.reasoning !== undefined;
  const input = (u.input - u.cacheRead - u.cacheWrite) * prices.input;
  const cacheRead = u.cacheRead * (prices.cacheRead ?? prices.input);
  const cacheWriteP = (u.cacheWrite - u.cacheWrite1h) * cacheWrite + u.cacheWrite1h * cacheWrite1h;
  const output = (reasoningApart ? u.output - u.reasoning : u.output) * prices.output;
  const reasoning = reasoningApart ? u.reasoning * (prices.reasoning ?? 0) : 0;
  const sum = input + cacheRead + cacheWriteP + output + reasoning;
  if (sum <= Number.MAX_SAFE_INTEGER) {
    exactTotal = round(sum);
    return {
      input: round(input),
      cacheRead: round(cacheRead),
      cacheWrite: round(cacheWriteP),
      output: round(output),
      reasoning: round(reasoning),
    };
  }
  const p = picoBreakdown(prices, u);
  exactTotal = picoToNano(p.input + p.output + p.cacheRead + p.cacheWrite + p.reasoning);
  return {
    input: picoToNano(p.input),
    output: picoToNano(p.output),
    cacheRead: picoToNano(p.cacheRead),
    cacheWrite: picoToNano(p.cacheWrite),
    reasoning: picoToNano(p.reasoning),
  };
}

const HALF_NANO = BigInt(PICO_PER_NANO / 2);
const NANO = BigInt(PICO_PER_NANO);

/** Rounds exact pico-USD to nano-USD, half up: at most 0.5 nano-USD off per call. */
export function picoToNano(pico: bigint): number {
  return Number((pico + HALF_NANO) / NANO);
}

export interface CostInput {
  usage: TokenUsage;
  price: ModelPrice | undefined;
  catalogVersion: string;
  providerNanoUsd?: number;
}

export function computeCost({ usage, price, catalogVersion, providerNanoUsd }: CostInput): CostResult {
  return costOf(usage, price, catalogVersion, providerNanoUsd);
}

/** computeCost with positional arguments (no argument object per priced record). */
export function costOf(
  usage: TokenUsage,
  price: ModelPrice | undefined,
  catalogVersion: string,
  providerNanoUsd: number | undefined,
): CostResult {
  if (!price) {
    if (providerNanoUsd !== undefined) {
      return {
        nanoUsd: providerNanoUsd,
        providerNanoUsd,
        source: 'provider',
        unpriced: false,
        catalogVersion,
        breakdownNanoUsd: ZERO_BREAKDOWN,
      };
    }
    return {
      nanoUsd: 0,
      source: 'unpriced',
      unpriced: true,
      catalogVersion,
      breakdownNanoUsd: ZERO_BREAKDOWN,
    };
  }
  // Most models have no tiers: no tier choice to make.
  let prices: TokenPrices = price;
  let tier: number | undefined;
  if (price.tiers !== undefined) ({ prices, tier } = pricesFor(price, usage.input));
  const breakdownNanoUsd = exactCost(prices, usage);
  const computedNanoUsd = exactTotal;
  const result: CostResult = {
    nanoUsd: providerNanoUsd ?? computedNanoUsd,
    computedNanoUsd,
    source: providerNanoUsd !== undefined ? 'provider' : price.free ? 'free' : 'computed',
    unpriced: false,
    catalogVersion,
    priceModel: price.model,
    breakdownNanoUsd,
  };
  if (providerNanoUsd !== undefined) result.providerNanoUsd = providerNanoUsd;
  if (tier !== undefined) result.tierAboveInputTokens = tier;
  return result;
}
