import type { Command } from 'commander';
import { query } from '../client.ts';
import { type Column, count, percent, render } from '../output.ts';
import { clientOf, formatOption, type GlobalOptions, print } from './common.ts';

interface UsageRow {
  group: Record<string, string>;
  calls: number;
  errors: number;
  input: number;
  output: number;
  cacheRead: number;
  reasoning: number;
  totalTokens: number;
  costUsd: string;
  avgCostUsd: string;
  cacheHitRatio: number;
  unpricedCalls: number;
}
interface UsageReport {
  from: string;
  to: string;
  groupBy: string[];
  rows: UsageRow[];
  other?: UsageRow;
  total: UsageRow;
}

function columns(groupBy: readonly string[]): Column<UsageRow>[] {
  return [
    ...groupBy.map((g) => ({ header: g, value: (r: UsageRow) => r.group[g] || '(none)' })),
    { header: 'calls', value: (r) => count(r.calls), align: 'right' },
    { header: 'input', value: (r) => count(r.input), align: 'right' },
    { header: 'output', value: (r) => count(r.output), align: 'right' },
    { header: 'cache read', value: (r) => count(r.cacheRead), align: 'right' },
    { header: 'reasoning', value: (r) => count(r.reasoning), align: 'right' },
    { header: 'cost', value: (r) => `$${r.costUsd}`, align: 'right' },
    { header: 'per call', value: (r) => `$${r.avgCostUsd}`, align: 'right' },
    { header: 'cache hit', value: (r) => percent(r.cacheHitRatio), align: 'right' },
    { header: 'unpriced', value: (r) => (r.unpricedCalls ? count(r.unpricedCalls) : ''), align: 'right' },
  ];
}

export interface WindowOptions {
  period?: string;
  from?: string;
  to?: string;
  timeZone?: string;
}

export function windowOptions(cmd: Command): Command {
  return cmd
    .option('--period <period>', 'the current hour, day, week or month (default day)')
    .option('--from <when>', 'start: ISO date or date-time')
    .option('--to <when>', 'end (exclusive): ISO date or date-time, default now')
    .option('--time-zone <zone>', 'IANA time zone for periods and dates (default UTC)');
}

export function registerUsage(program: Command): void {
  windowOptions(
    program
      .command('usage')
      .description('usage and cost grouped by model, provider, agent, tenant, operation or tool'),
  )
    .option(
      '-g, --group-by <fields>',
      'comma-separated: model, provider, agent, tenant, operation, tool, …',
      'model',
    )
    .option('--top <n>', 'the N most expensive rows; the rest summed as "other"')
    .addOption(formatOption())
    .action(
      async (
        opts: WindowOptions & { groupBy: string; top?: string; format: 'table' | 'json' | 'csv' },
        cmd,
      ) => {
        const client = clientOf((cmd as Command).optsWithGlobals<GlobalOptions>());
        const q = {
          period: opts.period,
          from: opts.from,
          to: opts.to,
          timeZone: opts.timeZone,
          groupBy: opts.groupBy,
          top: opts.top,
        };
        if (opts.format === 'csv') {
          const res = await client.raw('GET', `/v1/usage${query({ ...q, format: 'csv' })}`, 'text/csv');
          print(await res.text());
          return;
        }
        const report = await client.get<UsageReport>(`/v1/usage${query(q)}`);
        if (opts.format === 'json') {
          print(JSON.stringify(report, null, 2));
          return;
        }
        const rows = [
          ...report.rows,
          ...(report.other ? [{ ...report.other, group: { [report.groupBy[0]!]: 'other' } }] : []),
        ];
        const total = { ...report.total, group: { [report.groupBy[0]!]: 'TOTAL' } };
        print(
          `usage ${report.from} → ${report.to}\n${render([...rows, total], columns(report.groupBy), 'table')}`,
        );
      },
    );
}
