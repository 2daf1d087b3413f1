import { z } from 'zod';
import { confineFilter } from '../access.ts';
import { isoSchema, isoTime, usdSchema, usdString } from '../money.ts';
import { type Suggestion, suggest } from '../optimizer.ts';
import { sendJson } from '../respond.ts';
import { type ApiDeps, defineRoute, named, type Route } from '../route.ts';
import { resolveRange, timeRangeFields } from '../time-range.ts';
import { filterFields, filtersOf } from '../usage-query.ts';

const int = z.number().int();

const optimizeQuery = named(
  'OptimizeQuery',
  z.strictObject({
    ...timeRangeFields,
    highTokensPerCall: z.coerce
      .number()
      .int()
      .positive()
      .optional()
      .describe('Flag models averaging more input + output tokens per call than this (default 20000).'),
    minCacheHitRatio: z.coerce
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe('Flag cacheable workloads below this cache-hit ratio (default 0.3).'),
    minCacheableInput: z.coerce
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('Only suggest caching when calls average at least this many input tokens (default 1024).'),
    ...filterFields,
  }),
);

const common = {
  provider: z.string(),
  model: z.string(),
  calls: int,
  costNanoUsd: int.describe('What these calls were charged.'),
  costUsd: usdSchema,
  estimatedSavingsNanoUsd: int,
  estimatedSavingsUsd: usdSchema,
  message: z.string(),
};
const suggestionSchema = named(
  'Suggestion',
  z.discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('cheaper_model'),
      ...common,
      sameMixCostNanoUsd: int.describe(
        "The same token mix at this model's own list price (the base of the savings).",
      ),
      alternatives: z
        .array(
          z.strictObject({
            model: z.string(),
            costNanoUsd: int.describe("The same token mix at this model's price."),
            costUsd: usdSchema,
            savingsNanoUsd: int,
            savingsUsd: usdSchema,
            savingsPercent: z.number(),
          }),
        )
        .describe('Cheaper tiers of the same family from the same provider, nearest tier first.'),
    }),
    z.strictObject({
      kind: z.literal('high_tokens_per_call'),
      ...common,
      avgInputTokens: z.number(),
      avgOutputTokens: z.number(),
      threshold: int,
    }),
    z.strictObject({
      kind: z.literal('low_cache_hit_ratio'),
      ...common,
      input: int,
      cacheRead: int,
      cacheHitRatio: z.number(),
      targetRatio: z.number(),
    }),
  ]),
);
const optimizeReport = named(
  'OptimizeReport',
  z.strictObject({
    from: isoSchema,
    to: isoSchema,
    suggestions: z.array(suggestionSchema).describe('Largest estimated savings first.'),
  }),
);

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function message(s: Suggestion): string {
  const who = `${s.model} (${s.provider}, ${s.calls} calls, $${usdString(s.costNanoUsd)})`;
  switch (s.kind) {
    case 'cheaper_model': {
      const a = s.alternatives[0]!;
      return `${who}: the same tokens on ${a.model} would cost $${usdString(a.costNanoUsd)} instead of $${usdString(s.sameMixCostNanoUsd)} (saves $${usdString(a.savingsNanoUsd)}, ${pct(a.savingsNanoUsd / s.sameMixCostNanoUsd)}); check it is capable enough for these calls`;
    }
    case 'high_tokens_per_call':
      return `${who}: ${Math.round(s.avgInputTokens)} input + ${Math.round(s.avgOutputTokens)} output tokens per call, over ${s.threshold}; trimming prompts (history, retrieved context) to ${s.threshold} input tokens would save about $${usdString(s.estimatedSavingsNanoUsd)}`;
    case 'low_cache_hit_ratio':
      return `${who}: only ${pct(s.cacheHitRatio)} of ${s.input} input tokens were cache reads; putting the stable prefix first (and marking it cacheable where the provider needs that) to reach ${pct(s.targetRatio)} would save about $${usdString(s.estimatedSavingsNanoUsd)}`;
  }
}

function view(s: Suggestion): z.output<typeof suggestionSchema> {
  const base = {
    ...s,
    costUsd: usdString(s.costNanoUsd),
    estimatedSavingsUsd: usdString(s.estimatedSavingsNanoUsd),
    message: message(s),
  };
  if (s.kind !== 'cheaper_model') return base as z.output<typeof suggestionSchema>;
  return {
    ...base,
    kind: 'cheaper_model',
    sameMixCostNanoUsd: s.sameMixCostNanoUsd,
    alternatives: s.alternatives.map((a) => ({
      ...a,
      costUsd: usdString(a.costNanoUsd),
      savingsUsd: usdString(a.savingsNanoUsd),
      savingsPercent: s.sameMixCostNanoUsd > 0 ? (a.savingsNanoUsd / s.sameMixCostNanoUsd) * 100 : 0,
    })),
  };
}

export function optimizeRoutes({ ctx, engine }: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/reports/optimize',
      access: 'use',
      tag: 'reports',
      summary: 'Cost suggestions from actual usage, each with its numbers',
      description:
        'Per provider and model used: cheaper tiers of the same family (same provider) costed on the real token mix with the price catalog; many tokens per call; a low cache-hit ratio where cache reads are discounted. Default window: the current month (UTC).',
      query: optimizeQuery,
      responses: { 200: { description: 'The suggestions.', schema: optimizeReport } },
      async handle({ res, principal, query }) {
        const { from, to } = resolveRange(query, engine.now(), 'month');
        const filter = confineFilter(principal, filtersOf(query));
        const groups = await engine.store.aggregateUsage({
          from,
          to,
          groupBy: ['provider', 'model'],
          ...(Object.keys(filter).length > 0 ? { filter } : {}),
        });
        const suggestions = suggest(ctx.catalog, groups, Math.min(to, engine.now()), {
          highTokensPerCall: query.highTokensPerCall ?? 20_000,
          minCacheHitRatio: query.minCacheHitRatio ?? 0.3,
          minCacheableInput: query.minCacheableInput ?? 1024,
        });
        sendJson(res, 200, { from: isoTime(from), to: isoTime(to), suggestions: suggestions.map(view) });
      },
    }),
  ];
}
