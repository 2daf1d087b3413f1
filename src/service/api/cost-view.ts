import { z } from 'zod';
import type { CostResult } from '../../pricing/cost.ts';
import type { TokenUsage } from '../../usage/token-usage.ts';
import { usdSchema, usdString } from './money.ts';
import { named } from './route.ts';

/** What one call cost, as the REST API shows it: integer nano-USD plus the exact USD string. */

const nano = z.number().int();

export const costSchema = named(
  'Cost',
  z.strictObject({
    nanoUsd: nano.describe('What the call is charged, in integer nano-USD (1e-9 USD).'),
    usd: usdSchema,
    source: z
      .enum(['computed', 'provider', 'free', 'unpriced'])
      .describe('computed from the price catalog, reported by the provider, explicitly free, or unpriced.'),
    unpriced: z.boolean().describe('No price matched and the provider reported none: charged 0, flagged.'),
    catalogVersion: z.string(),
    priceModel: z.string().optional().describe('The catalog entry that priced the call.'),
    computedNanoUsd: nano.optional(),
    providerNanoUsd: nano.optional(),
    tierAboveInputTokens: z.number().int().optional().describe('The long-context tier applied, if any.'),
    breakdownNanoUsd: z.strictObject({
      input: nano,
      output: nano,
      cacheRead: nano,
      cacheWrite: nano,
      reasoning: nano,
    }),
  }),
);

export const tokenUsageViewSchema = named(
  'TokenUsage',
  z
    .strictObject({
      input: nano,
      output: nano,
      cacheRead: nano,
      cacheWrite: nano,
      cacheWrite1h: nano,
      reasoning: nano,
    })
    .describe('Token counts; cacheRead and cacheWrite are part of input, reasoning is part of output.'),
);

export function costView(c: CostResult): z.output<typeof costSchema> {
  const out: z.output<typeof costSchema> = {
    nanoUsd: c.nanoUsd,
    usd: usdString(c.nanoUsd),
    source: c.source,
    unpriced: c.unpriced,
    catalogVersion: c.catalogVersion,
    breakdownNanoUsd: { ...c.breakdownNanoUsd },
  };
  if (c.priceModel !== undefined) out.priceModel = c.priceModel;
  if (c.computedNanoUsd !== undefined) out.computedNanoUsd = c.computedNanoUsd;
  if (c.providerNanoUsd !== undefined) out.providerNanoUsd = c.providerNanoUsd;
  if (c.tierAboveInputTokens !== undefined) out.tierAboveInputTokens = c.tierAboveInputTokens;
  return out;
}

export function usageView(u: TokenUsage): z.output<typeof tokenUsageViewSchema> {
  return {
    input: u.input,
    output: u.output,
    cacheRead: u.cacheRead,
    cacheWrite: u.cacheWrite,
    cacheWrite1h: u.cacheWrite1h,
    reasoning: u.reasoning,
  };
}
