import { z } from 'zod';
import { deleteOverride, listOverrides, overrideSchema, setOverride } from '../../../budget/overrides.ts';
import type { Override } from '../../../store/store.ts';
import type { Principal } from '../../auth/principal.ts';
import { budgetVisibility, canSeeGroup } from '../access.ts';
import { notFound } from '../errors.ts';
import {
  counterUnit,
  counterUnitSchema,
  decimalSchema,
  displayAmount,
  isoSchema,
  isoTime,
} from '../money.ts';
import { sendJson } from '../respond.ts';
import { type ApiDeps, defineRoute, jsonBody, named, param, type Route } from '../route.ts';

/** The engine's override schema; the author defaults to the API key's name. */
const overrideRequest = named(
  'OverrideRequest',
  overrideSchema.extend({
    author: overrideSchema.shape.author.optional().describe("Who grants it; default: the API key's name."),
  }),
);

const overrideView = named(
  'Override',
  z.strictObject({
    id: z.string(),
    budgetId: z.string(),
    group: z.string().optional().describe('Only this group of the budget; absent: every group.'),
    unit: counterUnitSchema,
    amount: z.number().int().describe('Extra headroom in `unit`.'),
    display: z.strictObject({ amount: decimalSchema }),
    createdAt: isoSchema,
    expiresAt: isoSchema,
    active: z.boolean(),
    reason: z.string(),
    author: z.string(),
  }),
);
const overrideList = named('OverrideList', z.strictObject({ overrides: z.array(overrideView) }));
const overridesQuery = named(
  'OverridesQuery',
  z.strictObject({
    budgetId: z.string().min(1).optional(),
    includeExpired: z.enum(['true', 'false']).optional().describe('Default false.'),
  }),
);
const deleted = named('OverrideDeleted', z.strictObject({ deleted: z.string() }));

export function overrideRoutes({ engine }: ApiDeps): Route[] {
  const view = (o: Override): z.output<typeof overrideView> => {
    const resource = engine.budget(o.budgetId)?.spec.resource ?? 'cost_usd';
    const now = engine.now();
    const out: z.output<typeof overrideView> = {
      id: o.id,
      budgetId: o.budgetId,
      unit: counterUnit(resource),
      amount: o.amount,
      display: { amount: displayAmount(resource, o.amount) },
      createdAt: isoTime(o.createdAt),
      expiresAt: isoTime(o.expiresAt),
      active: o.createdAt <= now && o.expiresAt > now,
      reason: o.reason,
      author: o.author,
    };
    if (o.group !== undefined) out.group = o.group;
    return out;
  };
  const visible = (p: Principal, o: Override): boolean => {
    const b = engine.budget(o.budgetId);
    if (!b) return p.role === 'admin';
    // An override of every group raises the tenant's own row too: it is shown.
    if (o.group === undefined) return budgetVisibility(p, b.spec) !== 'none';
    return canSeeGroup(p, b.spec, o.group);
  };
  return [
    defineRoute({
      method: 'post',
      path: '/v1/overrides',
      access: 'admin',
      tag: 'budgets',
      summary: 'Grant temporary extra headroom on a budget (audited)',
      description:
        "amount is in the budget's unit (USD for cost_usd, seconds for duration_seconds, a count otherwise); expiresAt is epoch ms or an ISO date-time and must be in the future.",
      body: jsonBody(overrideRequest, 'override'),
      responses: { 201: { description: 'Granted.', schema: overrideView } },
      async handle({ res, principal, body }) {
        const o = await setOverride(engine, { ...body, author: body.author ?? principal.name });
        sendJson(res, 201, view(o));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/overrides',
      access: 'use',
      tag: 'budgets',
      summary: 'Overrides in force (or all, with includeExpired=true)',
      query: overridesQuery,
      responses: { 200: { description: 'The overrides.', schema: overrideList } },
      async handle({ res, principal, query }) {
        const all = await listOverrides(engine, query.includeExpired === 'true');
        const shown = all.filter(
          (o) => (query.budgetId === undefined || o.budgetId === query.budgetId) && visible(principal, o),
        );
        sendJson(res, 200, { overrides: shown.sort((a, b) => a.createdAt - b.createdAt).map(view) });
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/overrides/{id}',
      access: 'admin',
      tag: 'budgets',
      summary: 'Withdraw an override (audited)',
      responses: { 200: { description: 'Withdrawn.', schema: deleted } },
      async handle(call) {
        const id = param(call, 'id');
        if (!(await deleteOverride(engine, id, call.principal.name))) throw notFound(`override ${id}`);
        sendJson(call.res, 200, { deleted: id });
      },
    }),
  ];
}
