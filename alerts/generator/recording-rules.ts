import { type AlertConfig, type Duration, durationSeconds, rateWindows, type TimedPeriod } from './config.ts';
import { rec, sel, series } from './promql.ts';
import type { RecordingCase, RecordingRule } from './types.ts';

/**
 * Recording rules the budget alerts build on.
 *
 * - Spending is a rate of the monotonic `bursar_budget_consumed_total` (it never drops at a
 *   period start, unlike the `used` gauge), so windows that straddle a period boundary still
 *   measure real spending. Each replica counts the usage it landed: replicas are summed.
 * - Gauges come from the shared store, identical on every replica: `max` across replicas.
 * - A budget with `groupBy` has one gauge series per group but one consumed counter for all
 *   groups, so rate-based rules work on the budget as a whole: its groups' gauges summed.
 */

function burnWindows(config: AlertConfig): Duration[] {
  const out = new Set<Duration>();
  for (const pair of Object.values(config.burnRate))
    for (const w of [pair.fast, pair.slow]) {
      out.add(w.long);
      out.add(w.short);
    }
  return [...out].sort((a, b) => durationSeconds(a) - durationSeconds(b));
}

/** A budget gauge summed over groups, one value across replicas. */
function budgetTotal(config: AlertConfig, metric: string, extra = ''): string {
  return `sum without (group) (max without (instance) (${sel(config, metric, extra)}))`;
}

export function recordingRules(config: AlertConfig): RecordingRule[] {
  const rules: RecordingRule[] = [];
  for (const w of rateWindows(config)) {
    rules.push({
      record: rec.consumedRate(w),
      expr: `sum without (instance) (rate(${sel(config, 'bursar_budget_consumed_total')}[${w}]))`,
    });
  }
  for (const name of ['limit', 'used', 'remaining'] as const) {
    rules.push({ record: rec.total(name), expr: budgetTotal(config, `bursar_budget_${name}`) });
  }
  rules.push({
    record: rec.periodEnd,
    expr: `max without (instance, group) (${sel(config, 'bursar_budget_period_end_timestamp_seconds', 'period!="total"')})`,
  });
  // limit / period length: the rate that spends exactly the limit over a whole period.
  const periods = Object.entries(config.periodSeconds) as [TimedPeriod, number][];
  rules.push({
    record: rec.sustainableRate,
    expr: periods.map(([p, s]) => `${rec.total('limit')}{period="${p}"} / ${s}`).join('\nor\n'),
  });
  // The consumed rate has no `period` label; the budget totals have: group_right keeps it.
  for (const w of burnWindows(config)) {
    rules.push({
      record: rec.burnRate(w),
      expr: `${rec.consumedRate(w)}\n/ ignoring (period) group_right\n${rec.sustainableRate}`,
    });
  }
  const p = config.projected.window;
  rules.push({
    record: rec.projectedUsed(p),
    expr:
      `${rec.total('used')}\n+ (\n` +
      `  (${rec.periodEnd} - time())\n  * ignoring (period) group_left\n  ${rec.consumedRate(p)}\n)`,
  });
  const e = config.exhaustion.window;
  rules.push({
    record: rec.secondsToExhaustion(e),
    expr: `${rec.total('remaining')}\n/ ignoring (period) group_left\n${rec.consumedRate(e)}`,
  });
  return rules;
}

/** promtool checks of the recording rules' values, with numbers that are exact in binary. */
export function recordingCases(config: AlertConfig): RecordingCase[] {
  const one = { job: config.job, instance: 'bursar-0:8013', budget: 'team-a' };
  const out = { job: config.job, budget: 'team-a' };
  const cases: RecordingCase[] = [];

  // Two replicas report the same two groups: groups add up, replicas do not.
  const groups: [string, string, number][] = [
    ['bursar-0:8013', 'acme', 30],
    ['bursar-1:8013', 'acme', 30],
    ['bursar-0:8013', 'beta', 50],
    ['bursar-1:8013', 'beta', 50],
  ];
  cases.push({
    title: 'groups summed, replicas counted once',
    interval: '1m',
    series: groups.map(([instance, group, used]) => ({
      series: series('bursar_budget_used', { ...one, instance, resource: 'tokens', period: 'day', group }),
      values: `${used}x10`,
    })),
    evalTime: '5m',
    expr: rec.total('used'),
    expected: [
      { labels: series(rec.total('used'), { ...out, resource: 'tokens', period: 'day' }), value: 80 },
    ],
  });

  const month = config.burnRate.month;
  if (month) {
    const w = month.fast.long;
    const labels = { ...one, resource: 'tokens' };
    // 2,592,000 tokens per 30 days is 1 token/s sustainable; spending 2 tokens/s burns at 2.
    cases.push({
      title: `burn rate over ${w} is consumed rate / (limit / period seconds)`,
      interval: '1m',
      series: [
        { series: series('bursar_budget_limit', { ...labels, period: 'month' }), values: '2592000x200' },
        { series: series('bursar_budget_consumed_total', labels), values: '0+120x200' },
      ],
      evalTime: '3h',
      expr: rec.burnRate(w),
      expected: [
        { labels: series(rec.burnRate(w), { ...out, resource: 'tokens', period: 'month' }), value: 2 },
      ],
    });
  }

  const p = config.projected.window;
  const labels = { ...one, resource: 'cost_usd' };
  // used 450 at 1h, spending 0.125/s with 4400 s left: 450 + 550 = 1000.
  cases.push({
    title: `projected end-of-period usage over ${p}`,
    interval: '1m',
    series: [
      { series: series('bursar_budget_used', { ...labels, period: 'day' }), values: '0+7.5x120' },
      { series: series('bursar_budget_consumed_total', labels), values: '0+7.5x120' },
      {
        series: series('bursar_budget_period_end_timestamp_seconds', { ...labels, period: 'day' }),
        values: '8000x120',
      },
    ],
    evalTime: '1h',
    expr: rec.projectedUsed(p),
    expected: [
      { labels: series(rec.projectedUsed(p), { ...out, resource: 'cost_usd', period: 'day' }), value: 1000 },
    ],
  });
  return cases;
}
