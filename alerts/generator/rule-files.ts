import { exhaustionWithinHour, projectedToExceed, thresholdReached } from './budget-alerts.ts';
import { burnRateAlerts } from './burn-rate-alerts.ts';
import type { AlertConfig } from './config.ts';
import { budgetExceeded } from './exceeded-alerts.ts';
import {
  denialSpike,
  ingestErrors,
  reservationsExpiring,
  serviceDown,
  unpricedUsage,
  watchdog,
} from './operations-alerts.ts';
import { recordingCases, recordingRules } from './recording-rules.ts';
import type { AlertCase, AlertDefinition, AlertingRule, RuleGroup } from './types.ts';

/** Assembles the rule file and the promtool test file from the config. */

export const RULES_FILE = 'bursar-rules.yml';
export const TESTS_FILE = 'bursar-rules.test.yml';

export function budgetAlerts(config: AlertConfig): AlertDefinition[] {
  return [
    thresholdReached(config),
    ...budgetExceeded(config),
    ...burnRateAlerts(config),
    projectedToExceed(config),
    exhaustionWithinHour(config),
  ];
}

export function serviceAlerts(config: AlertConfig): AlertDefinition[] {
  return [
    unpricedUsage(config),
    reservationsExpiring(config),
    ingestErrors(config),
    denialSpike(config),
    serviceDown(config),
    watchdog(config),
  ];
}

export function ruleGroups(config: AlertConfig): RuleGroup[] {
  return [
    { name: 'bursar.budget.recording', rules: recordingRules(config) },
    { name: 'bursar.budget.alerts', rules: budgetAlerts(config).map((d) => d.rule) },
    { name: 'bursar.service.alerts', rules: serviceAlerts(config).map((d) => d.rule) },
  ];
}

/**
 * How a rule is told apart from others with the same alert name (the burn-rate rules share
 * one): its name and its static labels. promtool test groups are named after it.
 */
export function ruleIdentity(rule: Pick<AlertingRule, 'alert' | 'labels'>): string {
  const labels = Object.entries(rule.labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${rule.alert}{${labels}}`;
}

function alertTestGroup(rule: AlertingRule, kind: 'fires' | 'quiet', c: AlertCase) {
  return {
    name: `${ruleIdentity(rule)} ${kind}: ${c.title}`,
    interval: c.interval,
    input_series: c.series,
    ...(c.externalLabels ? { external_labels: c.externalLabels } : {}),
    alert_rule_test: [{ eval_time: c.evalTime, alertname: rule.alert, exp_alerts: c.expected }],
  };
}

/** promtool's unit-test document: every alert fires once and stays quiet at its boundary. */
export function testsDocument(config: AlertConfig) {
  const definitions = [...budgetAlerts(config), ...serviceAlerts(config)];
  const tests: object[] = [];
  for (const d of definitions) {
    for (const f of [d.fires, ...(d.more ?? [])]) {
      if (f.expected.length === 0) throw new Error(`${d.rule.alert}: a firing case expects no alert`);
      tests.push(alertTestGroup(d.rule, 'fires', f));
    }
    for (const q of d.quiet) {
      if (q.expected.length > 0) throw new Error(`${d.rule.alert}: a quiet case expects alerts`);
      tests.push(alertTestGroup(d.rule, 'quiet', q));
    }
  }
  for (const c of recordingCases(config)) {
    tests.push({
      name: `record ${c.expr}: ${c.title}`,
      interval: c.interval,
      input_series: c.series,
      promql_expr_test: [{ expr: c.expr, eval_time: c.evalTime, exp_samples: c.expected }],
    });
  }
  return { rule_files: [RULES_FILE], evaluation_interval: '1m', tests };
}

export function rulesDocument(config: AlertConfig) {
  return { groups: ruleGroups(config) };
}
