import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { parse as parseYaml } from 'yaml';
import { CliError, EXIT } from '../exit-codes.ts';
import { type Column, render } from '../output.ts';
import { clientOf, collectPairs, formatOption, type GlobalOptions, print } from './common.ts';

interface BudgetRow {
  spec: {
    id: string;
    resource: string;
    period: string;
    policy: string;
    timeZone: string;
    selector: Record<string, string>;
    groupBy: string[];
    shadow?: boolean;
  };
  display: { unit: string; limit: string };
  allocation: { parentId: string; allocationPercent: number } | null;
}

const COLUMNS: Column<BudgetRow>[] = [
  { header: 'id', value: (b) => b.spec.id },
  { header: 'policy', value: (b) => b.spec.policy + (b.spec.shadow ? ' (shadow)' : '') },
  { header: 'resource', value: (b) => b.spec.resource },
  { header: 'period', value: (b) => `${b.spec.period} ${b.spec.timeZone}` },
  {
    header: 'limit',
    value: (b) => (b.display.unit === 'USD' ? `$${b.display.limit}` : b.display.limit),
    align: 'right',
  },
  {
    header: 'selector',
    value: (b) =>
      Object.entries(b.spec.selector)
        .map(([k, v]) => `${k}=${v}`)
        .join(',') || '(all)',
  },
  { header: 'per', value: (b) => b.spec.groupBy.join(',') },
  {
    header: 'parent',
    value: (b) => (b.allocation ? `${b.allocation.parentId} ${b.allocation.allocationPercent}%` : ''),
  },
];

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

/** A budget spec from a YAML or JSON file (one budget). */
function readSpec(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`${file}: ${(error as Error).message}`, EXIT.USAGE);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new CliError(`${file}: expected one budget (a mapping)`, EXIT.USAGE);
  return parsed as Record<string, unknown>;
}

interface SetOptions {
  file?: string;
  resource?: string;
  period?: string;
  limit?: number;
  policy?: string;
  selector?: Record<string, string>;
  groupBy?: string;
  timeZone?: string;
  shadow?: boolean;
  name?: string;
}

export function registerLimits(program: Command): void {
  const limits = program.command('limits').description('list, set and delete budgets');
  limits
    .command('list')
    .description('every budget')
    .addOption(formatOption())
    .action(async (opts: { format: 'table' | 'json' | 'csv' }, cmd: Command) => {
      const { budgets } = await clientOf(cmd.optsWithGlobals<GlobalOptions>()).get<{ budgets: BudgetRow[] }>(
        '/v1/budgets',
      );
      print(render(budgets, COLUMNS, opts.format));
    });
  limits
    .command('set <id>')
    .description('create or replace a budget, from flags or a YAML/JSON file')
    .option('--file <file>', 'the budget spec (flags override its fields)')
    .option(
      '--resource <resource>',
      'cost_usd, tokens, input_tokens, output_tokens, requests, tool_calls, duration_seconds',
    )
    .option('--period <period>', 'hour, day, week, month or total')
    .option(
      '--limit <amount>',
      'USD for cost_usd, seconds for duration_seconds, a count otherwise',
      positiveNumber,
    )
    .option('--policy <policy>', 'IGNORE, WARN, SOFT_LIMIT or HARD_LIMIT')
    .option(
      '--selector <label=value>',
      'match calls with this label (repeatable; * and globs allowed)',
      collectPairs,
    )
    .option('--group-by <labels>', 'comma-separated labels with a counter each (e.g. tenant)')
    .option('--time-zone <zone>', 'IANA time zone of the period (default UTC)')
    .option('--shadow', 'decide and report, never deny')
    .option('--name <name>', 'a human name')
    .addOption(formatOption())
    .action(async (id: string, opts: SetOptions & { format: 'table' | 'json' | 'csv' }, cmd: Command) => {
      const spec: Record<string, unknown> = opts.file ? readSpec(opts.file) : {};
      const set = (key: string, v: unknown) => {
        if (v !== undefined) spec[key] = v;
      };
      set('resource', opts.resource);
      set('period', opts.period);
      set('limit', opts.limit);
      set('policy', opts.policy);
      set('selector', opts.selector);
      set('groupBy', opts.groupBy?.split(',').filter(Boolean));
      set('timeZone', opts.timeZone);
      set('shadow', opts.shadow);
      set('name', opts.name);
      const client = clientOf(cmd.optsWithGlobals<GlobalOptions>());
      const { status, body } = await client.json<BudgetRow>(
        'PUT',
        `/v1/budgets/${encodeURIComponent(id)}`,
        spec,
      );
      if (opts.format === 'json') print(JSON.stringify(body, null, 2));
      else
        print(
          `${status === 201 ? 'created' : 'replaced'} budget ${id}\n${render([body], COLUMNS, opts.format)}`,
        );
    });
  limits
    .command('delete <id>')
    .description('delete a budget')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      await clientOf(cmd.optsWithGlobals<GlobalOptions>()).json(
        'DELETE',
        `/v1/budgets/${encodeURIComponent(id)}`,
      );
      print(`deleted budget ${id}`);
    });
}
