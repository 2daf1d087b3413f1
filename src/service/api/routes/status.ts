import { z } from 'zod';
import { PERIODS } from '../../../budget/period.ts';
import { POLICIES, RESOURCES } from '../../../budget/budget-spec.ts';
import { type BudgetStatus, statusReport } from '../../../budget/status.ts';
import { canSeeGroup, groupLabels } from '../access.ts';
import {
  counterUnit,
  counterUnitSchema,
  decimalSchema,
  displayAmount,
  displayUnit,
  displayUnitSchema,
  finiteOrNull,
  isoSchema,
  isoTime,
} from '../money.ts';
import { sendJson } from '../respond.ts';
import { type ApiDeps, defineRoute, named, type Route } from '../route.ts';
import { resolveRange, timeRangeFields } from '../time-range.ts';

const int = z.number().int();

const budgetStatus = named(
  'BudgetStatus',
  z.strictObject({
    budgetId: z.string(),
    name: z.string().optional(),
    group: z.string().describe("groupBy values joined by U+0001; '' for ungrouped budgets."),
    groupLabels: z.record(z.string(), z.string()).describe('The same group by label name.'),
    resource: z.enum(RESOURCES),
    unit: counterUnitSchema,
    period: z.enum(PERIODS),
    timeZone: z.string(),
    policy: z.enum(POLICIES),
    shadow: z.boolean(),
    limit: int.describe('In `unit`, active overrides included.'),
    baseLimit: int.describe('In `unit`, without overrides.'),
    used: int,
    reserved: int,
    remaining: int.describe('max(0, limit - used - reserved)'),
    utilization: z.number().describe('used / limit'),
    critical: z
      .boolean()
      .describe("utilization at or past the budget's criticalAt (IGNORE budgets never are)."),
    periodStart: isoSchema,
    periodEnd: isoSchema.nullable().describe('null for period total.'),
    burnRate: z.number().nullable().describe('`unit` per second spent so far this period; null for total.'),
    burnRateRatio: z
      .number()
      .nullable()
      .describe('burnRate / (limit / period length): 1 spends exactly the limit by period end.'),
    forecastExhaustedAt: isoSchema
      .nullable()
      .describe('When the limit is reached at the current burn rate; null if not before the period ends.'),
    display: z.strictObject({
      unit: displayUnitSchema,
      limit: decimalSchema,
      used: decimalSchema,
      reserved: decimalSchema,
      remaining: decimalSchema,
      burnRatePerHour: decimalSchema.nullable().describe('Spend per hour at the current burn rate.'),
    }),
  }),
);
const statusResponse = named(
  'StatusReport',
  z.strictObject({
    time: isoSchema,
    isAnyCritical: z.boolean(),
    budgets: z.array(budgetStatus),
  }),
);
const statusQuery = named(
  'StatusQuery',
  z.strictObject({
    budgetId: z.string().min(1).optional().describe('Comma-separated budget ids; default every budget.'),
  }),
);
const historyQuery = named(
  'HistoryQuery',
  z.strictObject({
    ...timeRangeFields,
    budgetId: z.string().min(1).optional().describe('Comma-separated budget ids; default every budget.'),
  }),
);
const snapshot = named(
  'Snapshot',
  z.strictObject({
    time: isoSchema,
    budgetId: z.string(),
    group: z.string(),
    groupLabels: z.record(z.string(), z.string()),
    unit: counterUnitSchema,
    periodStart: isoSchema,
    used: int,
    reserved: int,
    limit: int,
    utilization: z.number().nullable(),
  }),
);
const historyResponse = named(
  'History',
  z.strictObject({
    from: isoSchema,
    to: isoSchema,
    snapshots: z.array(snapshot).describe('By budget, then time.'),
  }),
);

function statusView(engine: ApiDeps['engine'], s: BudgetStatus) {
  const spec = engine.budget(s.budgetId)!.spec;
  const out: z.output<typeof budgetStatus> = {
    budgetId: s.budgetId,
    group: s.group,
    groupLabels: groupLabels(spec, s.group),
    resource: s.resource,
    unit: counterUnit(s.resource),
    period: s.period,
    timeZone: s.timeZone,
    policy: s.policy,
    shadow: s.shadow,
    limit: s.limit,
    baseLimit: s.baseLimit,
    used: s.used,
    reserved: s.reserved,
    remaining: s.remaining,
    utilization: finiteOrNull(s.utilization) ?? 0,
    critical: s.critical,
    periodStart: isoTime(s.periodStart),
    periodEnd: isoTime(s.periodEnd),
    burnRate: finiteOrNull(s.burnRate),
    burnRateRatio: finiteOrNull(s.burnRateRatio),
    forecastExhaustedAt: isoTime(s.forecastExhaustedAt),
    display: {
      unit: displayUnit(s.resource),
      limit: displayAmount(s.resource, s.limit),
      used: displayAmount(s.resource, s.used),
      reserved: displayAmount(s.resource, s.reserved),
      remaining: displayAmount(s.resource, s.remaining),
      burnRatePerHour: s.burnRate === null ? null : displayAmount(s.resource, s.burnRate * 3600),
    },
  };
  if (s.name !== undefined) out.name = s.name;
  return out;
}

function idsOf(list: string | undefined): string[] | undefined {
  return list === undefined ? undefined : list.split(',').filter(Boolean);
}

function budgetIds(engine: ApiDeps['engine'], wanted: string[] | undefined): string[] {
  const ids = engine.budgets().map((b) => b.id);
  return wanted === undefined ? ids : ids.filter((id) => wanted.includes(id));
}

export function statusRoutes({ engine }: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/status',
      access: 'use',
      tag: 'budgets',
      summary: 'Every budget now: used, reserved, limit, remaining, utilization, burn rate, forecast',
      description:
        'One row per budget and group (grouped budgets: one per group value seen this period). A tenant key sees the budgets pinned to its tenant and its own rows of budgets grouped by tenant.',
      query: statusQuery,
      responses: { 200: { description: 'The status.', schema: statusResponse } },
      async handle({ res, principal, query }) {
        const report = await statusReport(engine, idsOf(query.budgetId));
        const rows = report.budgets.filter((s) => {
          const b = engine.budget(s.budgetId);
          return b !== undefined && canSeeGroup(principal, b.spec, s.group);
        });
        sendJson(res, 200, {
          time: isoTime(report.time),
          isAnyCritical: rows.some((s) => s.critical),
          budgets: rows.map((s) => statusView(engine, s)),
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/history',
      access: 'use',
      tag: 'budgets',
      summary: 'Saved status snapshots over time (one per budget and group every snapshotIntervalMs)',
      query: historyQuery,
      responses: { 200: { description: 'The snapshots.', schema: historyResponse } },
      async handle({ res, principal, query }) {
        const { from, to } = resolveRange(query, engine.now());
        const out: z.output<typeof snapshot>[] = [];
        for (const id of budgetIds(engine, idsOf(query.budgetId))) {
          const spec = engine.budget(id)?.spec;
          if (!spec) continue;
          for (const s of await engine.store.listSnapshots(id, from, to)) {
            if (!canSeeGroup(principal, spec, s.group)) continue;
            out.push({
              time: isoTime(s.time),
              budgetId: s.budgetId,
              group: s.group,
              groupLabels: groupLabels(spec, s.group),
              unit: counterUnit(spec.resource),
              periodStart: isoTime(s.periodStart),
              used: s.used,
              reserved: s.reserved,
              limit: s.limit,
              utilization: s.limit > 0 ? s.used / s.limit : null,
            });
          }
        }
        sendJson(res, 200, { from: isoTime(from), to: isoTime(to), snapshots: out });
      },
    }),
  ];
}
