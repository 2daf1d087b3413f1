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

/**
 * Budgets by policy, as `bursar_budget_info` matchers. HARD_LIMIT and SOFT_LIMIT budgets deny
 * calls once used up, unless they run in shadow mode (decide and report, never deny); WARN
 * budgets only report; IGNORE budgets are tracked only and never alert (the engine sends them
 * no threshold events either).
 */
export const POLICY = {
  enforcing: 'policy=~"HARD_LIMIT|SOFT_LIMIT",shadow="false"',
  warnOnly: 'policy="WARN"',
  shadowEnforcing: 'policy=~"HARD_LIMIT|SOFT_LIMIT",shadow="true"',
  ignored: 'policy="IGNORE"',
} as const;

/**
 * A per-budget gauge of the budgets whose `bursar_budget_info` matches, with their `policy` and
 * `shadow` labels, one value across replicas. The join is made per replica (`on (job, instance,
 * budget)`): each replica reports one info series per budget, so the join never meets
 * duplicates, even while replicas briefly disagree after a policy change.
 */
export function perBudgetWithPolicy(config: AlertConfig, metric: string, info: string): string {
  return (
    `max without (instance) (\n  ${sel(config, metric)}\n` +
    `  * on (job, instance, budget) group_left (policy, shadow)\n  ${info}\n)`
  );
}

/** `bursar_budget_info` of the budgets matching any of these POLICY matchers. */
export function budgetInfo(config: AlertConfig, ...matchers: string[]): string {
  const parts = matchers.map((m) => sel(config, 'bursar_budget_info', m));
  return parts.length === 1 ? parts[0]! : `(${parts.join(' or ')})`;
}

/** Appended to a budget alert's expression: IGNORE budgets never alert. */
export function unlessIgnored(config: AlertConfig): string {
  return `\nunless on (job, budget)\n${budgetInfo(config, POLICY.ignored)}`;
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
