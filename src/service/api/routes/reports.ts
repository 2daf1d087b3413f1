import { z } from 'zod';
import { breakdown } from '../../../budget/breakdown.ts';
import { confineFilter } from '../access.ts';
import { isoSchema, isoTime, usdSchema, usdString } from '../money.ts';
import { sendJson } from '../respond.ts';
import { type ApiDeps, defineRoute, named, type Route } from '../route.ts';
import { summaryText } from '../summary-text.ts';
import { resolveRange, timeRangeFields } from '../time-range.ts';
import { filterFields, filtersOf } from '../usage-query.ts';
import { usageRowSchema, usageRowView } from '../usage-view.ts';

const int = z.number().int();

const summaryQuery = named(
  'SummaryQuery',
  z.strictObject({
    ...timeRangeFields,
    top: z.coerce
      .number()
      .int()
      .positive()
      .max(1000)
      .optional()
      .describe('Rows per breakdown (default 20); the rest are summed into other.'),
    ...filterFields,
  }),
);

const summary = named(
  'SummaryReport',
  z.strictObject({
    from: isoSchema,
    to: isoSchema,
    calls: int,
    errors: int,
    missingUsage: int,
    unpricedCalls: int,
    tokens: z.strictObject({
      input: int,
      output: int,
      cacheRead: int,
      cacheWrite: int,
      reasoning: int,
      total: int,
    }),
    cost: z.strictObject({ nanoUsd: int, usd: usdSchema }),
    averages: z
      .strictObject({
        costNanoUsd: int,
        costUsd: usdSchema,
        inputTokens: z.number(),
        outputTokens: z.number(),
        totalTokens: z.number(),
        durationMs: z.number(),
      })
      .describe('Per call.'),
    cacheHitRatio: z.number().describe('cacheRead / input'),
    byAgent: z
      .array(usageRowSchema)
      .describe('Most expensive first; group.agent is "" for calls without an agent.'),
    byModel: z.array(usageRowSchema),
    text: z.string().describe('The same report, formatted for a terminal.'),
  }),
);
export type SummaryView = z.output<typeof summary>;

export function reportRoutes({ engine }: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/reports/summary',
      access: 'use',
      tag: 'reports',
      summary: 'Calls, tokens, cost and averages, by agent and by model, plus a text report',
      description: 'Default window: the current day (UTC). A tenant key reads its own tenant only.',
      query: summaryQuery,
      responses: { 200: { description: 'The summary.', schema: summary } },
      async handle({ res, principal, query }) {
        const { from, to } = resolveRange(query, engine.now());
        const filter = confineFilter(principal, filtersOf(query));
        const top = query.top ?? 20;
        const base = { from, to, top, ...(Object.keys(filter).length > 0 ? { filter } : {}) };
        const [agents, models] = await Promise.all([
          breakdown(engine, { ...base, by: ['agent'] }),
          breakdown(engine, { ...base, by: ['model'] }),
        ]);
        const t = models.total;
        const rows = (b: typeof agents) => [...b.rows, ...(b.other ? [b.other] : [])].map(usageRowView);
        const out: SummaryView = {
          from: isoTime(from),
          to: isoTime(to),
          calls: t.calls,
          errors: t.errors,
          missingUsage: t.missingUsage,
          unpricedCalls: t.unpricedCalls,
          tokens: {
            input: t.input,
            output: t.output,
            cacheRead: t.cacheRead,
            cacheWrite: t.cacheWrite,
            reasoning: t.reasoning,
            total: t.input + t.output,
          },
          cost: { nanoUsd: t.costNanoUsd, usd: usdString(t.costNanoUsd) },
          averages: {
            costNanoUsd: t.avgCostNanoUsd,
            costUsd: usdString(t.avgCostNanoUsd),
            inputTokens: t.avgInputTokens,
            outputTokens: t.avgOutputTokens,
            totalTokens: (t.input + t.output) / Math.max(1, t.calls),
            durationMs: t.avgDurationMs,
          },
          cacheHitRatio: t.cacheHitRatio,
          byAgent: rows(agents),
          byModel: rows(models),
          text: '',
        };
        out.text = summaryText(out);
        sendJson(res, 200, out);
      },
    }),
  ];
}
