import { type AlertConfig, DASHBOARD_UIDS, defaultAlertConfig } from '../../alerts/generator/config.ts';
import type { DashboardSpec } from './common.ts';

/**
 * Budgets overview: where every budget stands in its period, how fast it is being spent, and
 * what the engine decided. Amounts are in each budget's resource unit (USD for cost_usd).
 */

const B = 'budget=~"$budget"';
const BY = 'budget, resource, period, group';

/** One value per budget series across replicas (they all read the same store). */
const gauge = (name: string) => `max by (${BY}) (bursar_budget_${name}{${B}})`;

/**
 * A gauge with its budget's policy and shadow mode from `bursar_budget_info`, joined per replica
 * (each reports one info series per budget) and then one value across replicas. Every query of
 * the table carries the same labels, so Grafana's merge puts them on one row per budget group.
 */
const withPolicy = (name: string) =>
  `max by (${BY}, policy, shadow) (\n  bursar_budget_${name}{${B}}\n` +
  `  * on (job, instance, budget) group_left (policy, shadow)\n  bursar_budget_info{${B}}\n)`;

/** limit / period length per budget, the periods' lengths taken from the alert config. */
function sustainableRate(config: AlertConfig): string {
  const parts = Object.entries(config.periodSeconds).map(
    ([p, s]) => `sum by (budget, resource) (max by (${BY}) (bursar_budget_limit{${B},period="${p}"})) / ${s}`,
  );
  return `(\n  ${parts.join('\n  or\n  ')}\n)`;
}

const consumedRate = `sum by (budget, resource) (rate(bursar_budget_consumed_total{${B}}[$__rate_interval]))`;

export function budgetsOverview(config: AlertConfig = defaultAlertConfig): DashboardSpec {
  const warnAt = config.threshold.utilization;
  return {
    uid: DASHBOARD_UIDS.budgets,
    title: 'bursar / Budgets overview',
    description:
      'Every bursar budget in its current period: utilization, remaining amount, time left, projection, burn rate, decisions and threshold crossings.',
    variables: [{ name: 'budget', label: 'Budget', query: 'label_values(bursar_budget_limit, budget)' }],
    panels: [
      {
        kind: 'gauge',
        title: 'Utilization',
        description: `Used ÷ limit in the current period, per budget (and group). The alert BursarBudgetThresholdReached fires at ${warnAt * 100}%, BursarBudgetExceeded at 100%.`,
        unit: 'percentunit',
        min: 0,
        max: 1,
        steps: [
          [0, 'green'],
          [warnAt, 'orange'],
          [config.exceeded.utilization, 'red'],
        ],
        queries: [{ expr: gauge('utilization_ratio'), legend: '{{budget}} {{group}}' }],
        w: 12,
      },
      {
        kind: 'stat',
        title: 'Remaining',
        description:
          'Limit minus used minus reserved in the current period, in the budget resource unit (USD for cost_usd budgets, tokens, seconds or a count otherwise).',
        unit: 'short',
        queries: [{ expr: gauge('remaining'), legend: '{{budget}} {{group}} ({{resource}})' }],
        w: 6,
      },
      {
        kind: 'stat',
        title: 'Time to period end',
        description:
          'Time until each budget period ends and its usage starts again from zero (budgets with period total never end).',
        unit: 's',
        queries: [
          {
            expr: `min by (budget, period) (bursar_budget_period_end_timestamp_seconds{${B}}) - time()`,
            legend: '{{budget}} ({{period}})',
          },
        ],
        w: 6,
      },
      {
        kind: 'timeseries',
        title: 'Projected end-of-period usage against the limit',
        description:
          'Used now plus the current spending rate times the time left in the period, beside the limit (grouped budgets: all groups together). A projection over the limit means the budget runs out before the period ends.',
        unit: 'short',
        queries: [
          {
            expr:
              `sum by (budget, resource) (${gauge('used')})\n+ on (budget, resource)\n${consumedRate}\n` +
              `* on (budget, resource)\n(min by (budget, resource) (bursar_budget_period_end_timestamp_seconds{${B}}) - time())`,
            legend: '{{budget}} projected',
          },
          { expr: `sum by (budget, resource) (${gauge('limit')})`, legend: '{{budget}} limit' },
        ],
        w: 12,
      },
      {
        kind: 'timeseries',
        title: 'Burn rate',
        description:
          'Spending rate ÷ the rate that would use exactly the limit over the whole period (1 = on track to use it all; above 1 the budget runs out early). The burn-rate alerts compare this over long and short windows.',
        unit: 'suffix:×',
        thresholdLine: 1,
        min: 0,
        queries: [
          {
            expr: `${consumedRate}\n/ on (budget, resource)\n${sustainableRate(config)}`,
            legend: '{{budget}}',
          },
        ],
        w: 12,
      },
      {
        kind: 'timeseries',
        title: 'Deny, warn and soft-limit decisions',
        description: 'Check and reserve verdicts other than allow, per budget and decision, per second.',
        unit: 'ops',
        queries: [
          {
            expr: `sum by (budget, decision) (rate(bursar_decisions_total{${B},decision!="allow"}[$__rate_interval]))`,
            legend: '{{budget}} {{decision}}',
          },
        ],
        w: 12,
      },
      {
        kind: 'timeseries',
        title: 'Threshold crossings',
        description:
          'Utilization thresholds crossed, per budget and threshold (each counts once per budget, group and period).',
        unit: 'short',
        bars: true,
        queries: [
          {
            expr: `sum by (budget, threshold) (increase(bursar_threshold_crossings_total{${B}}[$__rate_interval]))`,
            legend: '{{budget}} ≥ {{threshold}}',
          },
        ],
        w: 12,
      },
      {
        kind: 'table',
        title: 'Budgets',
        description:
          'Every budget (and group) in its current period: its policy (HARD_LIMIT and SOFT_LIMIT deny once used up, WARN only reports, IGNORE only tracks; shadow true = decides but never denies), limit, used, reserved by active reservations, remaining and utilization, in the budget resource unit.',
        unit: 'short',
        queries: [
          { expr: withPolicy('limit'), instant: true },
          { expr: withPolicy('used'), instant: true },
          { expr: withPolicy('reserved'), instant: true },
          { expr: withPolicy('remaining'), instant: true },
          { expr: withPolicy('utilization_ratio'), instant: true },
        ],
        columns: {
          'Value #A': 'Limit',
          'Value #B': 'Used',
          'Value #C': 'Reserved',
          'Value #D': 'Remaining',
          'Value #E': 'Utilization',
        },
        columnUnits: { Utilization: 'percentunit' },
        w: 24,
        h: 10,
      },
    ],
  };
}
