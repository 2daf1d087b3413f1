import { after, expectFiring, fixture, IGNORED_TWIN, samplesFor, withIgnoredTwin } from './case-helpers.ts';
import { type AlertConfig, durationSeconds } from './config.ts';
import { dashboardUrl, perBudget, rec, runbookUrl, unlessIgnored } from './promql.ts';
import type { AlertDefinition, AlertingRule, InputSeries } from './types.ts';

/**
 * Alerts on one budget's state: threshold reached, projected to exceed, exhaustion (exceeded is
 * in exceeded-alerts.ts). IGNORE budgets never alert.
 */

const BUDGET_TEXT = 'Budget {{ $labels.budget }} ({{ $labels.resource }} per {{ $labels.period }})';
/** Grouped budgets (groupBy) have a series per group: name it. */
export const GROUP_TEXT =
  'Budget {{ $labels.budget }}{{ with $labels.group }} group {{ . }}{{ end }} ({{ $labels.resource }} per {{ $labels.period }})';

type RuleInput = Omit<AlertingRule, 'alert' | 'annotations'> & { summary: string; description: string };

export function budgetRule(config: AlertConfig, alert: string, r: RuleInput): AlertingRule {
  return {
    alert,
    expr: r.expr,
    for: r.for,
    labels: r.labels,
    annotations: {
      summary: r.summary,
      description: r.description,
      runbook_url: runbookUrl(config, alert),
      dashboard_url: dashboardUrl(config, 'budgets', { budget: '{{ $labels.budget }}' }),
    },
  };
}

function budgetFixture(config: AlertConfig, period: string) {
  return fixture({ job: config.job, budget: 'team-a', resource: 'cost_usd', period });
}

/** What humanizePercentage prints for the ratios used here. */
export function pct(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}

export function thresholdReached(config: AlertConfig): AlertDefinition {
  const at = config.threshold.utilization;
  const rule = budgetRule(config, 'BursarBudgetThresholdReached', {
    expr: `${perBudget(config, 'bursar_budget_utilization_ratio')} >= ${at}${unlessIgnored(config)}`,
    for: config.threshold.for,
    labels: { severity: 'warning' },
    summary: 'A budget reached its warning threshold.',
    description: `${GROUP_TEXT} is at {{ $value | humanizePercentage }} of its limit.`,
  });
  const f = budgetFixture(config, 'month');
  const evalTime = after(2, config.threshold.for);
  const n = samplesFor(evalTime);
  const scenario = (v: number) => [f.of('bursar_budget_utilization_ratio', `0.5 ${v}x${n}`)];
  return {
    rule,
    fires: {
      title: `utilization exactly at ${at} ${IGNORED_TWIN}`,
      interval: '1m',
      series: withIgnoredTwin(f, scenario(at), n),
      evalTime,
      expected: [
        expectFiring(rule, f.output, `Budget team-a (cost_usd per month) is at ${pct(at)} of its limit.`),
      ],
    },
    quiet: [
      {
        title: `utilization just below ${at}`,
        interval: '1m',
        series: scenario(at - 0.001),
        evalTime,
        expected: [],
      },
    ],
  };
}

export function projectedToExceed(config: AlertConfig): AlertDefinition {
  const w = config.projected.window;
  const rule = budgetRule(config, 'BursarBudgetProjectedToExceed', {
    expr:
      `${rec.projectedUsed(w)} > ${rec.total('limit')}\n` +
      `unless ${rec.total('used')} >= ${rec.total('limit')} * ${config.exceeded.utilization}` +
      unlessIgnored(config),
    for: config.projected.for,
    labels: { severity: 'warning' },
    summary: 'A budget will run out before its period ends at the current spending rate.',
    description: `${BUDGET_TEXT} is projected to reach {{ $value | humanize }} by the end of the period, over its limit, at the spending rate of the last ${w}.`,
  });
  const f = budgetFixture(config, 'day');
  const evalTime = after(1, w, config.projected.for);
  const n = samplesFor(evalTime);
  // `used` grows with spending (0.125/s), so the projection used + 0.125 × (end - t) stays 0.125 × end = 2000.
  const scenario = (limit: number): InputSeries[] => [
    f.of('bursar_budget_used', `0+7.5x${n}`),
    f.of('bursar_budget_consumed_total', `0+7.5x${n}`, { period: null }),
    f.of('bursar_budget_period_end_timestamp_seconds', `16000x${n}`),
    f.of('bursar_budget_limit', `${limit}x${n}`),
  ];
  return {
    rule,
    fires: {
      title: `projection 2000 over a limit of 1999 ${IGNORED_TWIN}`,
      interval: '1m',
      series: withIgnoredTwin(f, scenario(1999), n),
      evalTime,
      expected: [
        expectFiring(
          rule,
          f.output,
          `Budget team-a (cost_usd per day) is projected to reach 2k by the end of the period, over its limit, at the spending rate of the last ${w}.`,
        ),
      ],
    },
    quiet: [
      {
        title: 'projection exactly at the limit',
        interval: '1m',
        series: scenario(2000),
        evalTime,
        expected: [],
      },
      {
        title: 'already exceeded (BursarBudgetExceeded speaks instead)',
        interval: '1m',
        // used is 0.125/s × eval time, well over 500
        series: scenario(500),
        evalTime,
        expected: [],
      },
    ],
  };
}

export function exhaustionWithinHour(config: AlertConfig): AlertDefinition {
  const { window: w, withinSeconds } = config.exhaustion;
  const left = rec.secondsToExhaustion(w);
  const rule = budgetRule(config, 'BursarBudgetExhaustionWithinHour', {
    expr:
      `${left} > 0 < ${withinSeconds}\n` +
      `and ${left} < (${rec.periodEnd} - time())` +
      unlessIgnored(config),
    for: config.exhaustion.for,
    labels: { severity: 'critical' },
    summary: 'A budget will be used up within the hour at the current spending rate.',
    description: `${BUDGET_TEXT} runs out in {{ $value | humanizeDuration }} at the spending rate of the last ${w}, before its period ends.`,
  });
  const f = budgetFixture(config, 'day');
  const evalTime = after(1, w, config.exhaustion.for);
  const n = samplesFor(evalTime);
  // Spending 0.5/s (30 a minute): 1000 left lasts 2000 s; withinSeconds / 2 left lasts exactly withinSeconds.
  const scenario = (remaining: number, end: number): InputSeries[] => [
    f.of('bursar_budget_remaining', `${remaining}x${n}`),
    f.of('bursar_budget_consumed_total', `0+30x${n}`, { period: null }),
    f.of('bursar_budget_period_end_timestamp_seconds', `${end}x${n}`),
  ];
  return {
    rule,
    fires: {
      title: `the remaining budget lasts 2000 s ${IGNORED_TWIN}`,
      interval: '1m',
      series: withIgnoredTwin(f, scenario(1000, 86_400), n),
      evalTime,
      expected: [
        expectFiring(
          rule,
          f.output,
          `Budget team-a (cost_usd per day) runs out in 33m 20s at the spending rate of the last ${w}, before its period ends.`,
        ),
      ],
    },
    quiet: [
      {
        title: `the remaining budget lasts exactly ${withinSeconds} s`,
        interval: '1m',
        series: scenario(withinSeconds / 2, 86_400),
        evalTime,
        expected: [],
      },
      {
        title: 'the period ends before the budget runs out',
        interval: '1m',
        series: scenario(1000, durationSeconds(evalTime) + 1000),
        evalTime,
        expected: [],
      },
    ],
  };
}
