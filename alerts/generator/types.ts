import type { Duration } from './config.ts';

/** The shapes of Prometheus rule files and promtool unit-test files, as far as bursar uses them. */

export interface RecordingRule {
  record: string;
  expr: string;
}

export type Severity = 'critical' | 'warning' | 'info';

export interface AlertingRule {
  alert: string;
  expr: string;
  for: Duration;
  labels: { severity: Severity } & Record<string, string>;
  annotations: { summary: string; description: string; runbook_url: string; dashboard_url: string };
}

export interface InputSeries {
  series: string;
  /** promtool's expanding notation, e.g. `0+6x60` or `0.9x10`. */
  values: string;
}

export interface ExpectedAlert {
  exp_labels: Record<string, string>;
  exp_annotations: Record<string, string>;
}

/**
 * One scenario for one alerting rule: input series, then the rule evaluated at `evalTime`.
 * `fires` scenarios list the alerts expected (labels and annotations in full); quiet ones expect none.
 */
export interface AlertCase {
  /** What the scenario shows, e.g. "utilization exactly at the threshold". */
  title: string;
  /** Spacing of the input samples; promtool tests start at Unix time 0. */
  interval: Duration;
  series: InputSeries[];
  evalTime: Duration;
  expected: ExpectedAlert[];
  /** Prometheus' external labels, for templates that read `$externalLabels`. */
  externalLabels?: Record<string, string>;
}

/** An alerting rule and the promtool scenarios that prove when it fires and when it must not. */
export interface AlertDefinition {
  rule: AlertingRule;
  fires: AlertCase;
  /** At least one; the boundary (the threshold itself, or just inside it) comes first. */
  quiet: [AlertCase, ...AlertCase[]];
  /** Further firing scenarios, when a rule fires for more than one reason. */
  more?: AlertCase[];
}

/** A check of a recording rule's value, as promtool's promql_expr_test. */
export interface RecordingCase {
  title: string;
  interval: Duration;
  series: InputSeries[];
  evalTime: Duration;
  expr: string;
  expected: { labels: string; value: number }[];
}

export interface RuleGroup {
  name: string;
  rules: (RecordingRule | AlertingRule)[];
}
