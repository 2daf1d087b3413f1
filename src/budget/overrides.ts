import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Override } from '../store/store.ts';
import { parseWith, ValidationError } from '../validation/errors.ts';
import { toUnits } from './budget-spec.ts';
import type { BudgetEngine } from './engine.ts';

export const overrideSchema = z
  .object({
    budgetId: z.string().min(1),
    group: z.string().max(1024).optional(),
    /** Extra headroom in the budget's unit (USD, tokens, seconds, count). */
    amount: z.number().positive('must be greater than zero').max(1e12, 'must be at most 1e12'),
    /** Epoch ms, or an ISO timestamp. */
    expiresAt: z.union([z.number().int(), z.iso.datetime({ offset: true })]),
    reason: z.string().min(1, 'a reason is required').max(1000),
    author: z.string().min(1, 'an author is required').max(200),
  })
  .strict();
export type OverrideInput = z.input<typeof overrideSchema>;

/** Temporary extra headroom on a budget, with an audit trail. */
export async function setOverride(engine: BudgetEngine, input: OverrideInput): Promise<Override> {
  const o = parseWith(overrideSchema, input, 'override');
  const budget = engine.budget(o.budgetId);
  if (!budget)
    throw new ValidationError('budgetId', `unknown budget ${JSON.stringify(o.budgetId)}`, 'override');
  const now = engine.now();
  const expiresAt = typeof o.expiresAt === 'number' ? o.expiresAt : Date.parse(o.expiresAt);
  if (expiresAt <= now) throw new ValidationError('expiresAt', 'must be in the future', 'override');
  const override: Override = {
    id: randomUUID(),
    budgetId: o.budgetId,
    amount: toUnits(budget.spec.resource, o.amount),
    createdAt: now,
    expiresAt,
    reason: o.reason,
    author: o.author,
  };
  if (o.group !== undefined) override.group = o.group;
  await engine.store.saveOverride(override, {
    time: now,
    action: 'override.set',
    subject: o.budgetId,
    author: o.author,
    detail: JSON.stringify({
      id: override.id,
      amount: o.amount,
      expiresAt,
      reason: o.reason,
      group: o.group,
    }),
  });
  await engine.reloadOverrides();
  engine.events.emit({ type: 'override_set', time: now, override });
  return override;
}

export async function deleteOverride(engine: BudgetEngine, id: string, author: string): Promise<boolean> {
  const deleted = await engine.store.deleteOverride(id, {
    time: engine.now(),
    action: 'override.delete',
    subject: id,
    author,
    detail: '',
  });
  if (deleted) await engine.reloadOverrides();
  return deleted;
}

export async function listOverrides(engine: BudgetEngine, includeExpired = false): Promise<Override[]> {
  const now = engine.now();
  const all = await engine.store.loadOverrides();
  return includeExpired ? all : all.filter((o) => o.expiresAt > now);
}
