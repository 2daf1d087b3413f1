import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { RULES_FILE } from '../../alerts/generator/rule-files.ts';
import { ALERTS_DIR } from '../../alerts/generator/render.ts';
import { run } from './helpers/binaries.ts';

/** alerts/alertmanager.example.yml: valid for amtool, and every route and every alert lands where it should. */

const EXAMPLE = 'alertmanager.example.yml';

interface Route {
  receiver?: string;
  matchers?: string[];
  routes?: Route[];
}

const config = parse(readFileSync(path.join(ALERTS_DIR, EXAMPLE), 'utf8')) as {
  route: Route;
  receivers: { name: string }[];
  inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
};
const alerts = (
  parse(readFileSync(path.join(ALERTS_DIR, RULES_FILE), 'utf8')) as {
    groups: { rules: { alert?: string; labels?: Record<string, string> }[] }[];
  }
).groups.flatMap((g) => g.rules.filter((r) => r.alert));

/** `name="value"` matchers → labels (the example routes on equality only). */
function labelsOf(matchers: string[] = []): string[] {
  return matchers.map((m) => {
    const eq = /^([a-zA-Z_]+)="([^"]*)"$/.exec(m);
    if (!eq) throw new Error(`route matcher ${m} is not an equality: extend this test`);
    return `${eq[1]}=${eq[2]}`;
  });
}

function routeTest(receiver: string, labels: string[]) {
  return run(
    'amtool',
    ['config', 'routes', 'test', `--config.file=${EXAMPLE}`, `--verify.receivers=${receiver}`, ...labels],
    {
      cwd: ALERTS_DIR,
    },
  );
}

describe('alertmanager.example.yml', () => {
  it('passes amtool check-config', async () => {
    const r = await run('amtool', ['check-config', EXAMPLE], { cwd: ALERTS_DIR });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('SUCCESS');
  });

  it('routes the labels of every route to its receiver (amtool config routes test)', async () => {
    const routes = config.route.routes ?? [];
    expect(routes.length).toBeGreaterThanOrEqual(4);
    for (const route of routes) {
      const r = await routeTest(route.receiver!, labelsOf(route.matchers));
      expect(r.code, `${route.matchers?.join(',')} → ${route.receiver}: ${r.stdout}${r.stderr}`).toBe(0);
    }
    // Labels no child route matches fall through to the root receiver.
    const r = await routeTest(config.route.receiver!, ['alertname=SomethingElse']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('sends every bursar alert to the receiver its severity calls for', async () => {
    const expected = (a: { alert?: string; labels?: Record<string, string> }) =>
      a.alert === 'BursarWatchdog'
        ? 'watchdog'
        : ({ critical: 'pager', warning: 'ticket', info: 'blackhole' } as Record<string, string>)[
            a.labels!.severity!
          ]!;
    const seen = new Set<string>();
    for (const a of alerts) {
      const labels = [`alertname=${a.alert}`, ...Object.entries(a.labels ?? {}).map(([k, v]) => `${k}=${v}`)];
      const key = labels.join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      const r = await routeTest(expected(a), labels);
      expect(r.code, `${key}: ${r.stdout}${r.stderr}`).toBe(0);
    }
  });

  it('has a Watchdog route first and inhibits warnings by criticals on the same budget', () => {
    expect(config.route.routes![0]!.matchers).toEqual(['alertname="BursarWatchdog"']);
    expect(config.inhibit_rules).toContainEqual({
      source_matchers: ['severity="critical"', 'budget=~".+"'],
      target_matchers: ['severity="warning"', 'budget=~".+"'],
      equal: ['job', 'budget', 'group'],
    });
    // BursarBudgetExceeded is only a warning for WARN and shadow budgets: it still drops the threshold warning.
    expect(config.inhibit_rules).toContainEqual({
      source_matchers: ['alertname="BursarBudgetExceeded"'],
      target_matchers: ['alertname="BursarBudgetThresholdReached"'],
      equal: ['job', 'budget', 'group'],
    });
    const names = config.receivers.map((r) => r.name);
    for (const route of [config.route, ...(config.route.routes ?? [])])
      expect(names).toContain(route.receiver);
  });
});
