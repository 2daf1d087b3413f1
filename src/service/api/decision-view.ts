import { z } from 'zod';
import { POLICIES, RESOURCES } from '../../budget/budget-spec.ts';
import { type BudgetDecision, DECISIONS, type Decision } from '../../budget/decision.ts';
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
} from './money.ts';
import { named } from './route.ts';

/** The engine's Decision as the REST API shows it. */

const nullableInt = z.number().int().nullable();

export const budgetDecisionSchema = named(
  'BudgetDecision',
  z.strictObject({
    budgetId: z.string(),
    group: z
      .string()
      .describe("The budget's groupBy label values joined by U+0001; empty for ungrouped budgets."),
    policy: z.enum(POLICIES),
    resource: z.enum(RESOURCES),
    decision: z.enum(DECISIONS),
    wouldDeny: z
      .boolean()
      .describe('Whether the budget would deny; true for a shadow budget that only warned.'),
    shadow: z.boolean(),
    unit: counterUnitSchema,
    limit: z.number().int().describe('In `unit`; includes active overrides.'),
    used: nullableInt.describe('In `unit`; null when the store was unavailable.'),
    reserved: nullableInt.describe('In `unit`; null when the store was unavailable.'),
    requested: z.number().int().describe('What this call asks for, in `unit`.'),
    utilization: z
      .number()
      .nullable()
      .describe(
        '(used + reserved + requested) / limit; null when unknown (store unavailable) or the limit is 0.',
      ),
    periodStart: isoSchema,
    periodEnd: isoSchema.nullable().describe('null for period `total`.'),
    reason: z.string(),
    display: z.strictObject({
      unit: displayUnitSchema,
      limit: decimalSchema,
      used: decimalSchema.nullable(),
      reserved: decimalSchema.nullable(),
      requested: decimalSchema,
    }),
  }),
);

export const decisionSchema = named(
  'Decision',
  z
    .strictObject({
      allowed: z.boolean().describe('false only when `decision` is deny.'),
      decision: z.enum(DECISIONS).describe('The most restrictive verdict of the matching budgets.'),
      reasons: z.array(z.string()).describe('One line per budget that did not simply allow.'),
      budgets: z.array(budgetDecisionSchema),
      unpriced: z.boolean().describe('The model has no price: cost budgets applied their `unpriced` rule.'),
    })
    .describe(
      'allow: within every limit; warn: a WARN threshold passed (or a shadow budget would deny); soft_limit: past a SOFT limit but within its grace; deny: a HARD limit (or SOFT plus grace) would be passed.',
    ),
);
export type DecisionView = z.output<typeof decisionSchema>;

function budgetView(b: BudgetDecision): z.output<typeof budgetDecisionSchema> {
  const known = Number.isFinite(b.used);
  return {
    budgetId: b.budgetId,
    group: b.group,
    policy: b.policy,
    resource: b.resource,
    decision: b.decision,
    wouldDeny: b.wouldDeny,
    shadow: b.shadow,
    unit: counterUnit(b.resource),
    limit: b.limit,
    used: known ? b.used : null,
    reserved: known ? b.reserved : null,
    requested: b.requested,
    utilization: finiteOrNull(b.utilization),
    periodStart: isoTime(b.periodStart),
    periodEnd: isoTime(b.periodEnd),
    reason: b.reason,
    display: {
      unit: displayUnit(b.resource),
      limit: displayAmount(b.resource, b.limit),
      used: known ? displayAmount(b.resource, b.used) : null,
      reserved: known ? displayAmount(b.resource, b.reserved) : null,
      requested: displayAmount(b.resource, b.requested),
    },
  };
}

/**
 * The decision as a caller may see it. Every matching budget decides, but a tenant key
 * is shown only the budgets it may read (see access.ts): a budget shared with other
 * tenants is summed over all of them, so its figures are replaced by one line saying
 * how it decided.
 */
export function decisionView(d: Decision, canSee: (b: BudgetDecision) => boolean = () => true): DecisionView {
  const budgets: BudgetDecision[] = [];
  const reasons: string[] = [];
  for (const b of d.budgets) {
    const shown = canSee(b);
    if (shown) budgets.push(b);
    if (b.decision === 'allow' && !b.wouldDeny) continue;
    reasons.push(shown ? b.reason : `a budget shared with other tenants: ${b.decision}`);
  }
  if (d.budgets.length === 0) reasons.push(...d.reasons);
  return {
    allowed: d.allowed,
    decision: d.decision,
    reasons,
    budgets: budgets.map(budgetView),
    unpriced: d.unpriced,
  };
}
