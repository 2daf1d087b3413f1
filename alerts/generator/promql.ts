import { type AlertConfig, DASHBOARD_UIDS, type Duration } from './config.ts';

/** PromQL fragments and link builders shared by every rule, so a name is spelled once. */

/** `metric{job="bursar",<extra>}`. */
export function sel(config: AlertConfig, metric: string, extra = ''): string {
  return `${metric}{job="${config.job}"${extra ? `,${extra}` : ''}}`;
}

/**
 * One value per budget series across replicas: every replica reports the same gauges from the
 * shared store, so `max` is right and `sum` would count a budget once per replica.
 */
export function perBudget(config: AlertConfig, metric: string, extra = ''): string {
  return `max without (instance) (${sel(config, metric, extra)})`;
}

// Recording rule names (level:metric:operations).
export const rec = {
  consumedRate: (w: Duration) => `budget:bursar_budget_consumed:rate${w}`,
  /** A budget gauge summed over its groups, e.g. `budget:bursar_budget_limit:sum`. */
  total: (gauge: 'limit' | 'used' | 'remaining') => `budget:bursar_budget_${gauge}:sum`,
  periodEnd: 'budget:bursar_budget_period_end_timestamp_seconds:max',
  sustainableRate: 'budget:bursar_budget_limit:per_second',
  burnRate: (w: Duration) => `budget:bursar_budget_burn_rate:ratio_rate${w}`,
  projectedUsed: (w: Duration) => `budget:bursar_budget_projected_used:rate${w}`,
  secondsToExhaustion: (w: Duration) => `budget:bursar_budget_seconds_to_exhaustion:rate${w}`,
};

/** GitHub's anchor for a `## Heading` in alerts/RUNBOOK.md. */
export function runbookAnchor(alertName: string): string {
  return alertName.toLowerCase();
}

export function runbookUrl(config: AlertConfig, alertName: string): string {
  return `${config.runbookUrl}#${runbookAnchor(alertName)}`;
}

/** A Grafana dashboard link; `vars` values may be alert templates such as `{{ $labels.budget }}`. */
export function dashboardUrl(
  config: AlertConfig,
  dashboard: keyof typeof DASHBOARD_UIDS,
  vars: Record<string, string> = {},
): string {
  const query = Object.entries(vars)
    .map(([k, v]) => `var-${k}=${v}`)
    .join('&');
  return `${config.grafanaUrl}/d/${DASHBOARD_UIDS[dashboard]}${query ? `?${query}` : ''}`;
}

/** Label string of a promtool input series. */
export function series(metric: string, labels: Record<string, string>): string {
  const body = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  return `${metric}{${body}}`;
}
