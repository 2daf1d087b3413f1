import type { BudgetSpecInput } from '../src/budget/budget-spec.ts';

/** The demo's budgets: sized so that a few rounds of the mock provider's usage fill them. */
export const DEMO_BUDGETS: BudgetSpecInput[] = [
  {
    id: 'writer-tokens',
    name: 'Writer agent: tokens per day',
    selector: { agent: 'writer' },
    resource: 'tokens',
    period: 'day',
    limit: 12_000,
    policy: 'HARD_LIMIT',
  },
  {
    id: 'fleet-cost',
    name: 'Whole fleet: spend per day',
    resource: 'cost_usd',
    period: 'day',
    limit: 0.03,
    policy: 'WARN',
  },
  {
    id: 'per-agent-requests',
    name: 'Requests per agent per hour',
    groupBy: ['agent'],
    resource: 'requests',
    period: 'hour',
    limit: 50,
    policy: 'SOFT_LIMIT',
  },
];
