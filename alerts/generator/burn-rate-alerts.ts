import { budgetRule } from './budget-alerts.ts';
import { after, expectFiring, fixture, IGNORED_TWIN, samplesFor, withIgnoredTwin } from './case-helpers.ts';
import {
  type AlertConfig,
  burnFactor,
  type BurnWindow,
  durationSeconds,
  type TimedPeriod,
} from './config.ts';
import { rec, unlessIgnored } from './promql.ts';
import type { AlertDefinition, InputSeries } from './types.ts';

/**
 * Multi-window burn-rate alerts: a rule per period and window pair, firing only when both the
 * long window (enough spend to matter) and the short one (still burning now) exceed the factor.
 * The windows and factors come from config.burnRate, scaled to each period.
 */

export const BURN_RATE_ALERT = 'BursarBudgetBurnRateHigh';

function burnRule(
  config: AlertConfig,
  period: TimedPeriod,
  speed: 'fast' | 'slow',
  w: BurnWindow,
): AlertDefinition {
  const factor = burnFactor(config, period, w);
  const ratio = (win: string) => `${rec.burnRate(win as BurnWindow['long'])}{period="${period}"}`;
  const rule = budgetRule(config, BURN_RATE_ALERT, {
    expr: `${ratio(w.long)} > ${factor}\nand\n${ratio(w.short)} > ${factor}${unlessIgnored(config)}`,
    for: w.for,
    labels: { severity: w.severity, period, burn: speed, long_window: w.long, short_window: w.short },
    summary: 'A budget is being spent much faster than its period can sustain.',
    description:
      `Budget {{ $labels.budget }} ({{ $labels.resource }}) spends its per-${period} limit at ` +
      `{{ $value | printf "%.1f" }}× the sustainable rate over the last ${w.long}, and still over the last ${w.short}` +
      ` (alerting above ×${factor}: ${Math.round(w.budgetFraction * 100)}% of the limit within ${w.long}).`,
  });

  // limit = period seconds, so the sustainable rate is 1 token/s and the burn rate is tokens/s.
  const f = fixture({ job: config.job, budget: 'team-a', resource: 'tokens', period });
  const limit = config.periodSeconds[period];
  const evalTime = after(1, w.long, w.for);
  const n = samplesFor(evalTime);
  const perMinute = (rate: number) => Math.round(rate * 60 * 1e6) / 1e6;
  const steady = (rate: number): InputSeries[] => [
    f.of('bursar_budget_limit', `${limit}x${n}`),
    f.of('bursar_budget_consumed_total', `0+${perMinute(rate)}x${n}`, { period: null }),
  ];
  const high = Math.floor(factor) + 1;

  // A burst at twice the factor that stopped 2 short windows ago: the long window still sees it.
  const longMin = durationSeconds(w.long) / 60;
  const pause = (2 * durationSeconds(w.short)) / 60;
  const burst = Math.ceil(2 * factor * 60);
  // The long window keeps (1 - pause/long) of the burst: above the factor only while pause < long / 2.
  if (pause >= longMin / 2)
    throw new Error(`${period} ${speed}: short window ${w.short} too long for ${w.long}`);
  const stopped: InputSeries[] = [
    f.of('bursar_budget_limit', `${limit}x${longMin + pause + 10}`),
    f.of('bursar_budget_consumed_total', `0+${burst}x${longMin} ${burst * longMin}x${pause + 10}`, {
      period: null,
    }),
  ];

  return {
    rule,
    fires: {
      title: `burning at ${high}, above ×${factor} in both windows ${IGNORED_TWIN}`,
      interval: '1m',
      series: withIgnoredTwin(f, steady(high), n),
      evalTime,
      expected: [
        expectFiring(
          rule,
          f.output,
          `Budget team-a (tokens) spends its per-${period} limit at ${high.toFixed(1)}× the sustainable rate over the last ${w.long}, and still over the last ${w.short}` +
            ` (alerting above ×${factor}: ${Math.round(w.budgetFraction * 100)}% of the limit within ${w.long}).`,
        ),
      ],
    },
    quiet: [
      {
        title: `burning at exactly ×${factor}`,
        interval: '1m',
        series: steady(factor),
        evalTime,
        expected: [],
      },
      {
        title: `a burst that stopped: long window above ×${factor}, short window at 0`,
        interval: '1m',
        series: stopped,
        evalTime: `${longMin + pause}m`,
        expected: [],
      },
    ],
  };
}

export function burnRateAlerts(config: AlertConfig): AlertDefinition[] {
  const out: AlertDefinition[] = [];
  for (const [period, pair] of Object.entries(config.burnRate) as [
    TimedPeriod,
    { fast: BurnWindow; slow: BurnWindow },
  ][]) {
    out.push(burnRule(config, period, 'fast', pair.fast), burnRule(config, period, 'slow', pair.slow));
  }
  return out;
}
