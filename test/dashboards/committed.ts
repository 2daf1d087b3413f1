import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DASHBOARD_SPECS } from '../../dashboards/builders/index.ts';
import type { DashboardJson } from './promql.ts';

export const DASHBOARDS_DIR = path.resolve(import.meta.dirname, '../../dashboards');

/** The committed dashboard files, by file name, as text. */
export function committedText(file: string): string {
  return readFileSync(path.join(DASHBOARDS_DIR, file), 'utf8');
}

/** Every committed dashboard, parsed. */
export function committedDashboards(): DashboardJson[] {
  return DASHBOARD_SPECS.map((d) => JSON.parse(committedText(d.file)) as DashboardJson);
}
