import type { SummaryView } from './routes/reports.ts';
import type { UsageRowView } from './usage-view.ts';

/** The summary report as plain text for a terminal: totals, then a table per breakdown. */

const n = (v: number): string => Math.round(v).toLocaleString('en-US');
const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;

function table(title: string, field: string, rows: readonly UsageRowView[]): string[] {
  if (rows.length === 0) return [`${title}: no calls`];
  const cells = rows.map((r) => [
    r.group[field] || '(none)',
    n(r.calls),
    n(r.input),
    n(r.output),
    `$${r.costUsd}`,
    `$${r.avgCostUsd}`,
  ]);
  const header = [field, 'calls', 'input', 'output', 'cost', 'per call'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    `  ${c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ')}`;
  return [`${title}:`, line(header), ...cells.map(line)];
}

export function summaryText(s: SummaryView): string {
  const lines = [
    `bursar usage ${s.from} .. ${s.to}`,
    `calls    ${n(s.calls)} (${n(s.errors)} errors, ${n(s.unpricedCalls)} unpriced, ${n(s.missingUsage)} without usage)`,
    `tokens   ${n(s.tokens.input)} input (${n(s.tokens.cacheRead)} cache reads, ${pct(s.cacheHitRatio)}), ${n(s.tokens.output)} output (${n(s.tokens.reasoning)} reasoning)`,
    `cost     $${s.cost.usd}`,
    `per call $${s.averages.costUsd}, ${n(s.averages.inputTokens)} input + ${n(s.averages.outputTokens)} output tokens, ${n(s.averages.durationMs)} ms`,
    '',
    ...table('by agent', 'agent', s.byAgent),
    '',
    ...table('by model', 'model', s.byModel),
  ];
  return `${lines.join('\n')}\n`;
}
