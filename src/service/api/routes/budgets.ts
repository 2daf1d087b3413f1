import { z } from 'zod';
import { budgetSpecSchema } from '../../../budget/budget-spec.ts';
import type { CompiledBudget } from '../../../budget/compiled-budget.ts';
import { ValidationError } from '../../../validation/errors.ts';
import type { Principal } from '../../auth/principal.ts';
import { budgetVisibility } from '../access.ts';
import { ApiError, notFound } from '../errors.ts';
import {
  counterUnit,
  counterUnitSchema,
  decimalSchema,
  displayAmount,
  displayUnit,
  displayUnitSchema,
} from '../money.ts';
import { sendJson } from '../respond.ts';
import { type ApiDeps, defineRoute, named, param, type Route } from '../route.ts';

named(
  'BudgetSpec',
  budgetSpecSchema,
  'A budget: which calls it counts (selector, groupBy), what (resource), over which calendar period in which time zone, its limit (USD for cost_usd, seconds for duration_seconds, a whole count otherwise; or a share of a parent) and its policy. limit is required unless parent is set, and must then be left out.',
);

const budgetView = named(
  'Budget',
  z.strictObject({
    spec: budgetSpecSchema.describe(
      'The budget as stored: every default filled in (limit in USD for cost_usd, seconds for duration_seconds).',
    ),
    visibility: z
      .enum(['all', 'own-group'])
      .describe(
        'own-group: a tenant key sees this budget only through its own group row (the budget is grouped by tenant).',
      ),
    unit: counterUnitSchema,
    limit: z
      .number()
      .int()
      .describe('Own limit in `unit`, a parent share resolved; active overrides not included.'),
    display: z.strictObject({ unit: displayUnitSchema, limit: decimalSchema }),
    allocation: z
      .strictObject({ parentId: z.string(), allocationPercent: z.number() })
      .nullable()
      .describe("This budget's limit is this share of its parent's."),
    children: z
      .array(z.strictObject({ id: z.string(), allocationPercent: z.number(), limit: z.number().int() }))
      .describe('Budgets whose limit is a share of this one.'),
  }),
);
type BudgetView = z.output<typeof budgetView>;
const budgetList = named('BudgetList', z.strictObject({ budgets: z.array(budgetView) }));
const deleted = named('BudgetDeleted', z.strictObject({ deleted: z.string() }));

function view(
  b: CompiledBudget,
  all: readonly CompiledBudget[],
  visibility: 'all' | 'own-group',
): BudgetView {
  const spec = b.spec;
  return {
    spec,
    visibility,
    unit: counterUnit(spec.resource),
    limit: b.baseLimit,
    display: { unit: displayUnit(spec.resource), limit: displayAmount(spec.resource, b.baseLimit) },
    allocation: spec.parent
      ? { parentId: spec.parent.id, allocationPercent: spec.parent.allocationPercent }
      : null,
    children: all
      .filter((c) => c.spec.parent?.id === spec.id)
      .map((c) => ({ id: c.id, allocationPercent: c.spec.parent!.allocationPercent, limit: c.baseLimit })),
  };
}

function visibleOne(p: Principal, b: CompiledBudget | undefined, id: string): 'all' | 'own-group' {
  const v = b ? budgetVisibility(p, b.spec) : 'none';
  if (v === 'none') throw notFound(`budget ${id}`);
  return v;
}

export function budgetRoutes({ engine }: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/budgets',
      access: 'use',
      tag: 'budgets',
      summary: 'Every budget, with parent allocations and children',
      description:
        'A tenant key sees the budgets pinned to its tenant (selector.tenant) and those grouped by tenant.',
      responses: { 200: { description: 'The budgets, by id.', schema: budgetList } },
      handle({ res, principal }) {
        const all = engine.budgets();
        const budgets: BudgetView[] = [];
        for (const b of [...all].sort((x, y) => (x.id < y.id ? -1 : 1))) {
          const v = budgetVisibility(principal, b.spec);
          if (v !== 'none') budgets.push(view(b, all, v));
        }
        sendJson(res, 200, { budgets });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/budgets/{id}',
      access: 'use',
      tag: 'budgets',
      summary: 'One budget',
      responses: { 200: { description: 'The budget.', schema: budgetView } },
      handle(call) {
        const id = param(call, 'id');
        const b = engine.budget(id);
        const v = visibleOne(call.principal, b, id);
        sendJson(call.res, 200, view(b!, engine.budgets(), v));
      },
    }),
    defineRoute({
      method: 'put',
      path: '/v1/budgets/{id}',
      access: 'admin',
      tag: 'budgets',
      summary: 'Create or replace a budget',
      description:
        'The body is a budget spec; its id may be left out (the path names it) or must equal the path. The whole budget set is validated with the change (parents exist, same resource, no cycles) before anything is saved. Limits are in USD for cost_usd, seconds for duration_seconds, whole counts otherwise.',
      body: { schema: budgetSpecSchema, parse: (input) => input },
      responses: {
        200: { description: 'Replaced.', schema: budgetView },
        201: { description: 'Created.', schema: budgetView },
      },
      async handle(call) {
        const id = param(call, 'id');
        const input = call.body;
        if (typeof input !== 'object' || input === null || Array.isArray(input))
          throw new ValidationError('', 'expected a budget object', 'budget');
        const given = (input as { id?: unknown }).id;
        if (given !== undefined && given !== id)
          throw new ValidationError('id', `must equal the id in the path (${id}) or be left out`, 'budget');
        const existed = engine.budget(id) !== undefined;
        await engine.putBudget({ ...input, id }, call.principal.name);
        sendJson(call.res, existed ? 200 : 201, view(engine.budget(id)!, engine.budgets(), 'all'));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/budgets/{id}',
      access: 'admin',
      tag: 'budgets',
      summary: 'Delete a budget (its counters stay in the store, unused)',
      responses: {
        200: { description: 'Deleted.', schema: deleted },
        409: {
          description: 'Other budgets take their limit from this one (error.code budget_has_children).',
        },
      },
      async handle(call) {
        const id = param(call, 'id');
        if (!engine.budget(id)) throw notFound(`budget ${id}`);
        const children = engine.budgets().filter((b: CompiledBudget) => b.spec.parent?.id === id);
        if (children.length > 0)
          throw new ApiError(
            409,
            'budget_has_children',
            `budget ${id} is the parent of ${children.map((c) => c.id).join(', ')}; delete those first`,
          );
        if (!(await engine.deleteBudget(id, call.principal.name))) throw notFound(`budget ${id}`);
        sendJson(call.res, 200, { deleted: id });
      },
    }),
  ];
}
