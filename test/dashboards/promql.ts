/**
 * Reading the committed dashboards' queries: which panel asks what, which metric names a
 * PromQL expression reads, and the expression as Grafana would send it (macros and
 * variables substituted).
 */

export interface DashboardJson {
  uid: string;
  title: string;
  schemaVersion: number;
  templating: { list: VariableJson[] };
  panels: PanelJson[];
}

export interface VariableJson {
  type: string;
  name: string;
  query?: string;
  refresh?: number;
  datasource?: { type?: string; uid?: string };
  includeAll?: boolean;
  allValue?: string;
}

export interface PanelJson {
  id: number;
  type: string;
  title?: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  gridPos: { x: number; y: number; w: number; h: number };
  fieldConfig: { defaults: { unit?: string } };
  targets: { refId: string; expr: string; instant?: boolean; datasource?: { uid?: string } }[];
}

export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
  instant: boolean;
}

export function panelQueries(d: DashboardJson): PanelQuery[] {
  return d.panels.flatMap((p) =>
    p.targets.map((t) => ({
      dashboard: d.uid,
      panel: p.title ?? `#${p.id}`,
      refId: t.refId,
      expr: t.expr,
      instant: t.instant === true,
    })),
  );
}

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'inf',
  'nan',
  'atan2',
]);

/** Metric names an expression selects (functions, keywords, labels and durations left out). */
export function metricNames(expr: string): Set<string> {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const out = new Set<string>();
  // Numbers (1e9, 0.99, 5m) are matched whole so that no name is read out of them.
  for (const m of s.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*|[0-9][a-zA-Z0-9_.]*/g)) {
    const name = m[0];
    if (/^[0-9]/.test(name)) continue;
    const after = s.slice(m.index + name.length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(name.toLowerCase())) continue;
    out.add(name);
  }
  return out;
}

/** `$name` and `${name}` references in an expression (Grafana's `$__` macros excluded). */
export function variableRefs(expr: string): Set<string> {
  const out = new Set<string>();
  for (const m of expr.matchAll(/\$\{?([a-zA-Z_][a-zA-Z0-9_]*)\}?/g))
    if (!m[1]!.startsWith('__')) out.add(m[1]!);
  return out;
}

export interface Substitution {
  /** Grafana's $__rate_interval: max($__interval + scrape interval, 4 × scrape interval). */
  rateInterval: string;
  interval: string;
  range: string;
  /** Variable values; unlisted variables become `.*` (Grafana's "All" with allValue `.*`). */
  vars?: Record<string, string>;
}

export function substitute(expr: string, s: Substitution): string {
  return expr
    .replaceAll('$__rate_interval', s.rateInterval)
    .replaceAll('$__interval', s.interval)
    .replaceAll('$__range', s.range)
    .replace(/\$\{?([a-zA-Z_][a-zA-Z0-9_]*)\}?/g, (_m, name: string) => s.vars?.[name] ?? '.*');
}

/** `label_values(<selector>, <label>)` of a query variable. */
export function labelValuesQuery(q: string): { selector: string; label: string } {
  const m = /^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(q.trim());
  if (!m) throw new Error(`not a label_values() query: ${q}`);
  return { selector: m[1]!.trim(), label: m[2]! };
}
