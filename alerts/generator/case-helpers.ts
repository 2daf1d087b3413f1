import { type Duration, durationSeconds } from './config.ts';
import { series } from './promql.ts';
import type { AlertingRule, ExpectedAlert, InputSeries } from './types.ts';

/** Small builders for the promtool scenarios each alert carries. */

/** The labels one replica's series carry, and what is left after `without (instance)`. */
export function fixture(labels: Record<string, string>) {
  const input = { instance: 'bursar-0:8013', ...labels };
  const { instance: _instance, ...output } = input;
  return {
    input,
    output,
    /** An input series with these labels; `change` adds labels, or drops those set to null. */
    of(metric: string, values: string, change: Record<string, string | null> = {}): InputSeries {
      const l: Record<string, string> = { ...input };
      for (const [k, v] of Object.entries(change)) {
        if (v === null) delete l[k];
        else l[k] = v;
      }
      return { series: series(metric, l), values };
    },
  };
}

export type Fixture = ReturnType<typeof fixture>;

/** The `bursar_budget_info` series of a fixture's budget (group and sample labels left out). */
export function budgetInfoSeries(f: Fixture, policy: string, samples: number, shadow = false): InputSeries {
  return f.of('bursar_budget_info', `1x${samples}`, {
    group: null,
    policy,
    shadow: String(shadow),
  });
}

/** Title suffix of firing cases that carry an IGNORE twin (see withIgnoredTwin). */
export const IGNORED_TWIN = '(an IGNORE budget beside it stays quiet)';

/**
 * The series of a firing case, for the fixture's budget (a HARD_LIMIT one) and again for a
 * budget `ignored` with policy IGNORE: the same data, so the case proves that only the
 * IGNORE budget's policy keeps it quiet.
 */
export function withIgnoredTwin(f: Fixture, series: InputSeries[], samples: number): InputSeries[] {
  const twin = fixture({ ...f.input, budget: 'ignored' });
  const own = `budget="${(f.input as Record<string, string>).budget}"`;
  return [
    ...series,
    budgetInfoSeries(f, 'HARD_LIMIT', samples),
    ...series.map((s) => ({ ...s, series: s.series.replace(own, 'budget="ignored"') })),
    budgetInfoSeries(twin, 'IGNORE', samples),
  ];
}

/**
 * The alert expected from `rule` with these series labels: its static labels added, and its
 * annotations with `{{ $labels.x }}` expanded. The description is given literally, because
 * checking how `$value` is formatted is the point of asserting it.
 */
export function expectFiring(
  rule: AlertingRule,
  labels: Record<string, string>,
  description: string,
): ExpectedAlert {
  const all = { ...labels, ...rule.labels };
  const expand = (s: string) =>
    s.replace(/\{\{ \$labels\.([a-zA-Z_]+) \}\}/g, (_m, k: string) => all[k as keyof typeof all] ?? '');
  return {
    exp_labels: all,
    exp_annotations: {
      summary: rule.annotations.summary,
      description,
      runbook_url: expand(rule.annotations.runbook_url),
      dashboard_url: expand(rule.annotations.dashboard_url),
    },
  };
}

/** A promtool eval time `minutes` after the given durations add up (whole minutes). */
export function after(minutes: number, ...durations: Duration[]): Duration {
  const total = durations.reduce((s, d) => s + durationSeconds(d), 0);
  return `${Math.ceil(total / 60) + minutes}m`;
}

/** Enough 1-minute samples to cover an eval time with room to spare. */
export function samplesFor(evalTime: Duration): number {
  return Math.ceil(durationSeconds(evalTime) / 60) + 10;
}
