import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DASHBOARD_UIDS, defaultAlertConfig } from '../../alerts/generator/config.ts';
import { RULES_FILE, ruleIdentity, TESTS_FILE } from '../../alerts/generator/rule-files.ts';
import { ALERTS_DIR, renderAlertFiles } from '../../alerts/generator/render.ts';
import { run } from './helpers/binaries.ts';

/**
 * The committed rule files: generated from the config, accepted by promtool's linter, their
 * unit tests passing, and every alert covered by a firing and a quiet case.
 */

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface ExpAlert {
  exp_labels?: Record<string, string>;
  exp_annotations?: Record<string, string>;
}
interface TestGroup {
  name: string;
  alert_rule_test?: { alertname: string; eval_time: string; exp_alerts?: ExpAlert[] }[];
  promql_expr_test?: unknown[];
}

const committed = (file: string) => readFileSync(path.join(ALERTS_DIR, file), 'utf8');
const rules = (parse(committed(RULES_FILE)) as { groups: { rules: Rule[] }[] }).groups.flatMap(
  (g) => g.rules,
);
const alerts = rules.filter((r): r is Rule & { alert: string } => r.alert !== undefined);
const tests = (parse(committed(TESTS_FILE)) as { tests: TestGroup[] }).tests;

describe('alert rule files', () => {
  it('are what the generator writes from alerts/generator/config.ts (run `npm run alerts`)', async () => {
    for (const [file, text] of await renderAlertFiles()) expect(committed(file), file).toBe(text);
  });

  it('pass promtool check rules --lint=all --lint-fatal', async () => {
    const r = await run('promtool', ['check', 'rules', '--lint=all', '--lint-fatal', RULES_FILE], {
      cwd: ALERTS_DIR,
    });
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('pass their promtool unit tests', async () => {
    const r = await run('promtool', ['test', 'rules', TESTS_FILE], { cwd: ALERTS_DIR });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('SUCCESS');
    // ≈13 s alone on 2 cores; far longer beside other test workers.
  }, 120_000);

  it('cover everything the issue lists', () => {
    expect(new Set(alerts.map((a) => a.alert))).toEqual(
      new Set([
        'BursarBudgetThresholdReached',
        'BursarBudgetExceeded',
        'BursarBudgetBurnRateHigh',
        'BursarBudgetProjectedToExceed',
        'BursarBudgetExhaustionWithinHour',
        'BursarUnpricedUsage',
        'BursarReservationsExpiring',
        'BursarIngestErrors',
        'BursarDenialSpike',
        'BursarDown',
        'BursarWatchdog',
      ]),
    );
    // Burn rate: a fast and a slow pair for monthly and daily budgets at least, each long AND short.
    const burn = alerts.filter((a) => a.alert === 'BursarBudgetBurnRateHigh');
    for (const period of ['month', 'day'])
      for (const speed of ['fast', 'slow']) {
        const r = burn.find((a) => a.labels?.period === period && a.labels.burn === speed);
        expect(r, `${period} ${speed}`).toBeDefined();
        expect(r!.expr).toContain(`ratio_rate${r!.labels!.long_window}{period="${period}"}`);
        expect(r!.expr).toMatch(new RegExp(`\\band\\b[\\s\\S]*ratio_rate${r!.labels!.short_window}\\{`));
      }
    expect(alerts.find((a) => a.alert === 'BursarDown')!.expr).toMatch(/^absent\(up\{job="bursar"\}/);
    expect(alerts.find((a) => a.alert === 'BursarWatchdog')!.expr).toBe('vector(1)');
  });

  it('follow the alert style: Bursar prefix, for, severity, summary, templated description, links', () => {
    for (const a of alerts) {
      expect(a.alert).toMatch(/^Bursar[A-Z][A-Za-z]+$/);
      expect(a.for, a.alert).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning', 'info']).toContain(a.labels?.severity);
      const ann = a.annotations ?? {};
      expect(Object.keys(ann).sort()).toEqual(['dashboard_url', 'description', 'runbook_url', 'summary']);
      expect(ann.summary, a.alert).not.toContain('{{');
      expect(ann.description, a.alert).toContain('{{');
      expect(ann.runbook_url).toBe(`${defaultAlertConfig.runbookUrl}#${a.alert.toLowerCase()}`);
      const uids = Object.values(DASHBOARD_UIDS).join('|');
      expect(ann.dashboard_url).toMatch(new RegExp(`^${defaultAlertConfig.grafanaUrl}/d/(${uids})(\\?|$)`));
    }
  });

  it('have, for every alerting rule, a firing case with labels and annotations and a quiet case', () => {
    const missing: string[] = [];
    for (const a of alerts) {
      const id = ruleIdentity({ alert: a.alert, labels: a.labels as never });
      const of = (kind: string) => tests.filter((t) => t.name.startsWith(`${id} ${kind}: `));
      const firing = of('fires').flatMap((t) => t.alert_rule_test ?? []);
      const fires = firing.some(
        (c) =>
          c.alertname === a.alert &&
          (c.exp_alerts ?? []).length > 0 &&
          (c.exp_alerts ?? []).every(
            (e) =>
              Object.entries(a.labels ?? {}).every(([k, v]) => e.exp_labels?.[k] === v) &&
              Object.keys(a.annotations ?? {}).every((k) => typeof e.exp_annotations?.[k] === 'string'),
          ),
      );
      const quiet = of('quiet')
        .flatMap((t) => t.alert_rule_test ?? [])
        .some((c) => c.alertname === a.alert && (c.exp_alerts ?? []).length === 0);
      if (!fires) missing.push(`${id}: no firing case asserting its labels and annotations`);
      if (!quiet) missing.push(`${id}: no quiet case`);
    }
    expect(missing).toEqual([]);
    expect(tests.filter((t) => t.promql_expr_test).length).toBeGreaterThan(0);
  });

  it('give every rule group member a unique identity', () => {
    const ids = alerts.map((a) => ruleIdentity({ alert: a.alert, labels: a.labels as never }));
    expect(new Set(ids).size).toBe(ids.length);
  });
});
