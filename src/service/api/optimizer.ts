import type { PriceCatalog } from '../../pricing/catalog.ts';
import { picoBreakdown, picoToNano, pricesFor } from '../../pricing/cost.ts';
import { indexKey } from '../../pricing/model-name.ts';
import { type ModelPrice, PICO_PER_NANO } from '../../pricing/price.ts';
import type { UsageAggregate } from '../../store/store.ts';

/**
 * Suggestions from actual usage, each with the figures it rests on:
 * - a cheaper tier of the same model family from the same provider (gpt-4o → gpt-4o-mini,
 *   claude-opus-4-5 → claude-sonnet-4-5 → claude-haiku-4-5), costed on the real token mix;
 * - many tokens per call (prompts that could be trimmed);
 * - a low cache-hit ratio on a model whose cache reads are discounted.
 *
 * Aggregates keep token totals, not each call's size: tiered (long-context) prices are
 * chosen by the average input per call, and all cache writes are costed at the 5-minute
 * rate. Both sides of every comparison are estimated the same way.
 */

/** Words that name a tier within a family; what is left of a model name is its family. */
const TIER_WORDS = new Set([
  'mini',
  'nano',
  'pro',
  'lite',
  'flash',
  'haiku',
  'sonnet',
  'opus',
  'fable',
  'mythos',
  'small',
  'medium',
  'large',
  'max',
  'plus',
  'turbo',
]);

export function modelFamily(model: string): string {
  return indexKey(model)
    .split('-')
    .filter((w) => !TIER_WORDS.has(w))
    .join('-');
}

export interface OptimizeOptions {
  /** Input + output tokens per call above which calls are flagged. */
  highTokensPerCall: number;
  /** Cache-hit ratio below which a cacheable workload is flagged. */
  minCacheHitRatio: number;
  /** Average input per call below which caching is not worth suggesting. */
  minCacheableInput: number;
}

export interface Alternative {
  model: string;
  costNanoUsd: number;
  savingsNanoUsd: number;
}

interface Common {
  provider: string;
  model: string;
  calls: number;
  costNanoUsd: number;
  estimatedSavingsNanoUsd: number;
}
export type Suggestion =
  | (Common & { kind: 'cheaper_model'; sameMixCostNanoUsd: number; alternatives: Alternative[] })
  | (Common & {
      kind: 'high_tokens_per_call';
      avgInputTokens: number;
      avgOutputTokens: number;
      threshold: number;
    })
  | (Common & {
      kind: 'low_cache_hit_ratio';
      input: number;
      cacheRead: number;
      cacheHitRatio: number;
      targetRatio: number;
    });

/** Exact cost (nano-USD) of an aggregate's token mix at a price, the tier picked by average input. */
export function mixCost(price: ModelPrice, a: UsageAggregate): number {
  const avgInput = a.calls > 0 ? a.input / a.calls : 0;
  const { prices } = pricesFor(price, avgInput);
  const p = picoBreakdown(prices, {
    input: a.input,
    output: a.output,
    cacheRead: a.cacheRead,
    cacheWrite: a.cacheWrite,
    cacheWrite1h: 0,
    reasoning: a.reasoning,
  });
  return picoToNano(p.input + p.output + p.cacheRead + p.cacheWrite + p.reasoning);
}

function cheaperTiers(catalog: PriceCatalog, price: ModelPrice, a: UsageAggregate, at: number) {
  const family = modelFamily(price.model);
  const current = mixCost(price, a);
  const seen = new Set<string>([indexKey(price.model)]);
  const out: Alternative[] = [];
  for (const e of catalog.list()) {
    const name = indexKey(e.model);
    if (e.provider !== price.provider || seen.has(name) || modelFamily(e.model) !== family) continue;
    seen.add(name);
    const alt = catalog.lookup(e.model, price.provider, at);
    if (!alt || indexKey(alt.model) !== name) continue;
    const cost = mixCost(alt, a);
    if (cost < current) out.push({ model: alt.model, costNanoUsd: cost, savingsNanoUsd: current - cost });
  }
  // The nearest cheaper tier first: the smallest step down in capability.
  out.sort((x, y) => y.costNanoUsd - x.costNanoUsd);
  return { current, alternatives: out };
}

export function suggest(
  catalog: PriceCatalog,
  groups: readonly UsageAggregate[],
  at: number,
  o: OptimizeOptions,
): Suggestion[] {
  const out: Suggestion[] = [];
  for (const a of groups) {
    if (a.calls === 0) continue;
    const provider = a.group.provider ?? '';
    const model = a.group.model ?? '';
    const common = { provider, model, calls: a.calls, costNanoUsd: a.costNanoUsd };
    const price = catalog.lookup(model, provider, at);
    if (price && !price.free) {
      const { current, alternatives } = cheaperTiers(catalog, price, a, at);
      if (alternatives.length > 0)
        out.push({
          ...common,
          kind: 'cheaper_model',
          sameMixCostNanoUsd: current,
          alternatives,
          estimatedSavingsNanoUsd: alternatives[0]!.savingsNanoUsd,
        });
    }
    const avgIn = a.input / a.calls;
    const avgOut = a.output / a.calls;
    if (avgIn + avgOut > o.highTokensPerCall) {
      // What trimming each call's input to the threshold would save at the uncached input price.
      const excess = Math.max(0, avgIn - o.highTokensPerCall) * a.calls;
      const perToken = price && !price.free ? pricesFor(price, avgIn).prices.input : 0;
      out.push({
        ...common,
        kind: 'high_tokens_per_call',
        avgInputTokens: avgIn,
        avgOutputTokens: avgOut,
        threshold: o.highTokensPerCall,
        estimatedSavingsNanoUsd: Math.round((excess * perToken) / PICO_PER_NANO),
      });
    }
    const ratio = a.input > 0 ? a.cacheRead / a.input : 0;
    if (price && !price.free && avgIn >= o.minCacheableInput && ratio < o.minCacheHitRatio) {
      const { prices } = pricesFor(price, avgIn);
      const discount = prices.input - (prices.cacheRead ?? prices.input);
      if (discount > 0) {
        const moreCached = Math.floor(o.minCacheHitRatio * a.input) - a.cacheRead;
        out.push({
          ...common,
          kind: 'low_cache_hit_ratio',
          input: a.input,
          cacheRead: a.cacheRead,
          cacheHitRatio: ratio,
          targetRatio: o.minCacheHitRatio,
          estimatedSavingsNanoUsd: picoToNano(BigInt(moreCached) * BigInt(discount)),
        });
      }
    }
  }
  return out.sort((x, y) => y.estimatedSavingsNanoUsd - x.estimatedSavingsNanoUsd);
}
