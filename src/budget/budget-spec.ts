import { z } from 'zod';
import { usdToNano } from '../pricing/price.ts';
import { labelName } from '../usage/scope.ts';
import { parseWith, ValidationError } from '../validation/errors.ts';
import { periodSchema, timeZoneSchema } from './period.ts';

export const RESOURCES = [
  'cost_usd',
  'tokens',
  'input_tokens',
  'output_tokens',
  'requests',
  'tool_calls',
  'duration_seconds',
] as const;
export type Resource = (typeof RESOURCES)[number];

export const POLICIES = ['IGNORE', 'WARN', 'SOFT_LIMIT', 'HARD_LIMIT'] as const;
export type Policy = (typeof POLICIES)[number];

export const DEFAULT_THRESHOLDS = [0.5, 0.75, 0.9, 1.0] as const;

const budgetId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/,
    'ids are 1-128 letters, digits, . _ : - (starting with a letter or digit)',
  );

/**
 * A selector value: `*` (label present, any value), a glob with `*` (e.g. `team-*`),
 * a literal, or any of those prefixed with `!` to exclude.
 */
const matcherValue = z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters');

export const budgetSpecSchema = z
  .object({
    id: budgetId,
    name: z.string().max(200).optional(),
    description: z.string().max(2000).optional(),
    selector: z.record(labelName, matcherValue).default({}),
    /** Labels whose every distinct value gets its own counter and its own limit (e.g. per tenant). */
    groupBy: z.array(labelName).max(4, 'at most 4 labels').default([]),
    resource: z.enum(RESOURCES, {
      error: (i) => `unknown resource ${JSON.stringify(i.input)}; expected one of ${RESOURCES.join(', ')}`,
    }),
    period: periodSchema,
    timeZone: timeZoneSchema.default('UTC'),
    /** In the resource's unit: USD for cost_usd, seconds for duration_seconds, a count otherwise. */
    limit: z
      .number({ error: 'must be a number' })
      .positive('must be greater than zero')
      .max(1e12, 'must be at most 1e12')
      .optional(),
    policy: z.enum(POLICIES, {
      error: (i) => `unknown policy ${JSON.stringify(i.input)}; expected one of ${POLICIES.join(', ')}`,
    }),
    /** SOFT_LIMIT only: allowed overshoot as a fraction of the limit (0.1 = 10%). */
    grace: z.number().min(0, 'must not be negative').max(10, 'must be at most 10 (1000%)').default(0.1),
    /** Decide and report, but never deny: the decision says what would have been denied. */
    shadow: z.boolean().default(false),
    thresholds: z
      .array(z.number().gt(0, 'must be greater than 0').max(10, 'must be at most 10'))
      .max(16, 'at most 16 thresholds')
      .default([...DEFAULT_THRESHOLDS]),
    /** Utilization at or above which the budget counts as critical. */
    criticalAt: z.number().gt(0).max(10).default(0.9),
    /** The limit is this share of the parent's limit (same resource). */
    parent: z
      .object({
        id: budgetId,
        allocationPercent: z.number().gt(0, 'must be greater than 0').max(100, 'must be at most 100'),
      })
      .strict()
      .optional(),
    /** What to do when the store is unreachable; default: HARD_LIMIT closed, others open. */
    failMode: z.enum(['open', 'closed']).optional(),
    /** cost_usd budgets: what a call to an unpriced model does. */
    unpriced: z.enum(['deny', 'allow']).default('allow'),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.limit === undefined && !b.parent) {
      ctx.addIssue({
        code: 'custom',
        path: ['limit'],
        message: 'is required unless the budget has a parent allocation',
      });
    }
    if (b.limit !== undefined && b.parent) {
      ctx.addIssue({
        code: 'custom',
        path: ['limit'],
        message: 'must not be set with parent: the limit is the parent share',
      });
    }
    const countResource = b.resource !== 'cost_usd' && b.resource !== 'duration_seconds';
    if (b.limit !== undefined && countResource && !Number.isInteger(b.limit)) {
      ctx.addIssue({
        code: 'custom',
        path: ['limit'],
        message: `must be a whole number for resource ${b.resource}`,
      });
    }
    if (b.parent?.id === b.id)
      ctx.addIssue({ code: 'custom', path: ['parent', 'id'], message: 'a budget cannot be its own parent' });
    const sorted = [...b.thresholds].sort((x, y) => x - y);
    if (sorted.some((t, i) => i > 0 && t === sorted[i - 1])) {
      ctx.addIssue({ code: 'custom', path: ['thresholds'], message: 'must not repeat a value' });
    }
  })
  .transform((b) => ({ ...b, thresholds: [...b.thresholds].sort((x, y) => x - y) }));

export type BudgetSpec = z.output<typeof budgetSpecSchema>;
export type BudgetSpecInput = z.input<typeof budgetSpecSchema>;

export function parseBudgetSpec(input: unknown): BudgetSpec {
  return parseWith(budgetSpecSchema, input, 'budget');
}

/** A user-facing amount (USD, seconds, count) in the integer unit counters hold. */
export function toUnits(resource: Resource, amount: number): number {
  if (resource === 'cost_usd') return usdToNano(amount);
  if (resource === 'duration_seconds') return Math.round(amount * 1000);
  return Math.round(amount);
}

/** Counter units back to the user-facing amount, for display only. */
export function fromUnits(resource: Resource, units: number): number {
  if (resource === 'cost_usd') return units / 1e9;
  if (resource === 'duration_seconds') return units / 1000;
  return units;
}

/**
 * Each budget's own limit in counter units, parents resolved. Throws when a parent is
 * missing, has another resource, or the parents form a cycle: a half-valid budget set
 * is never accepted.
 */
export function resolveLimits(specs: ReadonlyMap<string, BudgetSpec>): Map<string, number> {
  const out = new Map<string, number>();
  const visiting = new Set<string>();
  const resolve = (id: string): number => {
    const known = out.get(id);
    if (known !== undefined) return known;
    const spec = specs.get(id);
    if (!spec)
      throw new ValidationError('parent.id', `unknown parent budget ${JSON.stringify(id)}`, 'budget');
    if (visiting.has(id))
      throw new ValidationError('parent.id', `parent chain through ${id} forms a cycle`, `budget ${id}`);
    visiting.add(id);
    let limit: number;
    if (spec.parent) {
      const parent = specs.get(spec.parent.id);
      if (!parent) {
        throw new ValidationError(
          'parent.id',
          `unknown parent budget ${JSON.stringify(spec.parent.id)}`,
          `budget ${id}`,
        );
      }
      if (parent.resource !== spec.resource) {
        throw new ValidationError(
          'parent.id',
          `parent ${parent.id} counts ${parent.resource}, this budget counts ${spec.resource}; they must match`,
          `budget ${id}`,
        );
      }
      limit = Math.floor((resolve(parent.id) * spec.parent.allocationPercent) / 100);
    } else {
      limit = toUnits(spec.resource, spec.limit ?? 0);
    }
    visiting.delete(id);
    out.set(id, limit);
    return limit;
  };
  for (const id of specs.keys()) resolve(id);
  return out;
}
