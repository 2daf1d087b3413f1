import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { budgetsOverview } from './budgets-overview.ts';
import { buildDashboard, type DashboardSpec } from './common.ts';
import { genaiClient } from './genai-client.ts';
import { serviceHealth } from './service-health.ts';
import { spendAndTokens } from './spend-and-tokens.ts';

/** Every bursar dashboard: its spec, the committed file it is written to, and its JSON text. */

export const DASHBOARD_SPECS: readonly { file: string; spec: () => DashboardSpec }[] = [
  { file: 'bursar-budgets-overview.json', spec: () => budgetsOverview() },
  { file: 'bursar-spend-and-tokens.json', spec: spendAndTokens },
  { file: 'bursar-genai-client.json', spec: genaiClient },
  { file: 'bursar-service-health.json', spec: serviceHealth },
];

export function dashboardJson(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

/** File name → JSON text of every dashboard, as `npm run dashboards` writes them. */
export function renderDashboards(): Map<string, string> {
  return new Map(DASHBOARD_SPECS.map((d) => [d.file, dashboardJson(buildDashboard(d.spec()))]));
}
