import { budgetRule, GROUP_TEXT, pct } from './budget-alerts.ts';
import { after, budgetInfoSeries, expectFiring, fixture, samplesFor } from './case-helpers.ts';
import type { AlertConfig } from './config.ts';
import { budgetInfo, perBudgetWithPolicy, POLICY } from './promql.ts';
import type { AlertCase, AlertDefinition, AlertingRule, InputSeries } from './types.ts';

/**
 * BursarBudgetExceeded, with a severity that follows what the budget's policy does once it is
 * used up (read from `bursar_budget_info`):
 * - HARD_LIMIT and SOFT_LIMIT budgets deny calls (SOFT after its grace): critical, it pages;
 * - WARN budgets only report, and shadow-mode HARD/SOFT budgets decide without denying: a
 *   warning, a ticket — the overrun is the whole point of a WARN budget, but nothing breaks;
 * - IGNORE budgets are tracked only: never.
 */

const ALERT = 'BursarBudgetExceeded';

/** A budget of the scenarios: its id, policy, shadow mode and group (for a grouped budget). */
interface Budget {
  id: string;
  policy: string;
  shadow?: boolean;
  group?: string;
}

/** One budget of each kind; `hard` is grouped, so the group's name in the text is covered too. */
const BUDGETS = {
  hard: { id: 'hard', policy: 'HARD_LIMIT', group: 'acme' },
  soft: { id: 'soft', policy: 'SOFT_LIMIT' },
  warn: { id: 'warn', policy: 'WARN' },
  ignore: { id: 'ignore', policy: 'IGNORE' },
  shadow: { id: 'shadow', policy: 'HARD_LIMIT', shadow: true },
} satisfies Record<string, Budget>;

function budgetFixture(config: AlertConfig, b: Budget) {
  return fixture({
    job: config.job,
    budget: b.id,
    resource: 'cost_usd',
    period: 'day',
    ...(b.group ? { group: b.group } : {}),
  });
}

interface Severity {
  severity: 'critical' | 'warning';
  info: string;
  summary: string;
  consequence: string;
  /** The budgets this rule speaks for; the others must stay quiet at any utilization. */
  fires: Budget[];
  /** What the description says after the policy, for a budget of `fires`. */
  says: (b: Budget) => string;
}

function exceededRule(config: AlertConfig, s: Severity): AlertDefinition {
  const at = config.exceeded.utilization;
  const rule: AlertingRule = budgetRule(config, ALERT, {
    expr: `${perBudgetWithPolicy(config, 'bursar_budget_utilization_ratio', s.info)} >= ${at}`,
    for: config.exceeded.for,
    labels: { severity: s.severity },
    summary: s.summary,
    description: `${GROUP_TEXT} is at {{ $value | humanizePercentage }} of its limit. ${s.consequence}`,
  });
  const evalTime = after(2, config.exceeded.for);
  const n = samplesFor(evalTime);
  /** Every listed budget at utilization `v`, with its info series. */
  const at_ = (v: number, budgets: Budget[]): InputSeries[] =>
    budgets.flatMap((b) => {
      const f = budgetFixture(config, b);
      return [
        f.of('bursar_budget_utilization_ratio', `0.5 ${v}x${n}`),
        budgetInfoSeries(f, b.policy, n, b.shadow),
      ];
    });
  const scenario = (title: string, series: InputSeries[], fires: Budget[] = []): AlertCase => ({
    title,
    interval: '1m',
    series,
    evalTime,
    expected: fires.map((b) => {
      const f = budgetFixture(config, b);
      const labels = { ...f.output, policy: b.policy, shadow: String(b.shadow ?? false) };
      const who = b.group ? `${b.id} group ${b.group}` : b.id;
      return expectFiring(
        rule,
        labels,
        `Budget ${who} (cost_usd per day) is at ${pct(at)} of its limit. ${s.says(b)}`,
      );
    }),
  });
  // Scenarios hold only budgets of this rule and IGNORE ones: promtool checks every alert of the
  // name, and a budget of the other severity would show up in both rules' results. The other
  // severity's own firing case proves this rule leaves its budgets alone.
  const withIgnored = [...s.fires, BUDGETS.ignore];
  const names = s.fires.map((b) => (b.shadow ? `shadow ${b.policy}` : b.policy)).join(' and ');
  return {
    rule,
    fires: scenario(`${names} exactly at the limit fire, IGNORE does not`, at_(at, withIgnored), s.fires),
    quiet: [
      scenario(`${names} and IGNORE just below the limit`, at_(at - 0.001, withIgnored)),
      scenario('IGNORE at twice the limit', at_(2 * at, [BUDGETS.ignore])),
    ],
  };
}

export function budgetExceeded(config: AlertConfig): AlertDefinition[] {
  return [
    exceededRule(config, {
      severity: 'critical',
      info: budgetInfo(config, POLICY.enforcing),
      summary:
        'A budget that enforces its limit is used up: HARD limits deny calls, SOFT limits run on their grace.',
      consequence:
        'Policy {{ $labels.policy }}: {{ if eq $labels.policy "HARD_LIMIT" }}calls are denied until the period ends{{ else }}calls are allowed within the grace, then denied{{ end }}.',
      fires: [BUDGETS.hard, BUDGETS.soft],
      says: (b) =>
        `Policy ${b.policy}: ${b.policy === 'HARD_LIMIT' ? 'calls are denied until the period ends' : 'calls are allowed within the grace, then denied'}.`,
    }),
    exceededRule(config, {
      severity: 'warning',
      info: budgetInfo(config, POLICY.warnOnly, POLICY.shadowEnforcing),
      summary: 'A budget that only reports its limit (WARN, or shadow mode) is used up; no call is denied.',
      consequence:
        'Policy {{ $labels.policy }}{{ if eq $labels.shadow "true" }} in shadow mode{{ end }}: no call is denied, the overrun is only reported.',
      fires: [BUDGETS.warn, BUDGETS.shadow],
      says: (b) =>
        `Policy ${b.policy}${b.shadow ? ' in shadow mode' : ''}: no call is denied, the overrun is only reported.`,
    }),
  ];
}
