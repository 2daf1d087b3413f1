import type { Command } from 'commander';
import { query } from '../client.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { type Column, percent, render } from '../output.ts';
import { clientOf, formatOption, type GlobalOptions, print } from './common.ts';

/** One row of GET /v1/status (the fields the CLI shows). */
export interface StatusRow {
  budgetId: string;
  group: string;
  groupLabels: Record<string, string>;
  policy: string;
  period: string;
  resource: string;
  utilization: number;
  critical: boolean;
  periodEnd: string | null;
  forecastExhaustedAt: string | null;
  display: { unit: string; limit: string; used: string; reserved: string; remaining: string };
}
export interface StatusReport {
  time: string;
  isAnyCritical: boolean;
  budgets: StatusRow[];
}

function amount(unit: string, v: string): string {
  return unit === 'USD' ? `$${v}` : `${v}${unit === 'seconds' ? 's' : ''}`;
}

const groupText = (r: StatusRow) =>
  Object.entries(r.groupLabels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

export const STATUS_COLUMNS: Column<StatusRow>[] = [
  { header: 'budget', value: (r) => r.budgetId + (r.group ? ` [${groupText(r)}]` : '') },
  { header: 'policy', value: (r) => r.policy },
  { header: 'period', value: (r) => r.period },
  { header: 'resource', value: (r) => r.resource },
  { header: 'used', value: (r) => amount(r.display.unit, r.display.used), align: 'right' },
  { header: 'reserved', value: (r) => amount(r.display.unit, r.display.reserved), align: 'right' },
  { header: 'limit', value: (r) => amount(r.display.unit, r.display.limit), align: 'right' },
  { header: 'remaining', value: (r) => amount(r.display.unit, r.display.remaining), align: 'right' },
  { header: 'used %', value: (r) => percent(r.utilization) + (r.critical ? ' !' : ''), align: 'right' },
  { header: 'period ends', value: (r) => r.periodEnd?.slice(0, 16).replace('T', ' ') ?? '-' },
  { header: 'exhausted at', value: (r) => r.forecastExhaustedAt?.slice(0, 16).replace('T', ' ') ?? '-' },
];

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('every budget: used, reserved, limit, remaining, utilization, forecast')
    .option('-b, --budget <ids>', 'comma-separated budget ids')
    .option('--check', `exit ${EXIT.CRITICAL} when any budget is at or past its critical threshold`)
    .addOption(formatOption())
    .action(
      async (opts: { budget?: string; check?: boolean; format: 'table' | 'json' | 'csv' }, cmd: Command) => {
        const client = clientOf(cmd.optsWithGlobals<GlobalOptions>());
        const report = await client.get<StatusReport>(`/v1/status${query({ budgetId: opts.budget })}`);
        if (opts.format === 'json') print(JSON.stringify(report, null, 2));
        else print(render(report.budgets, STATUS_COLUMNS, opts.format));
        if (opts.check && report.isAnyCritical)
          throw new CliError('some budget is at or past its critical threshold', EXIT.CRITICAL);
      },
    );
}
