import { type Command, InvalidArgumentError } from 'commander';
import { query } from '../client.ts';
import { type Column, render } from '../output.ts';
import { clientOf, formatOption, type GlobalOptions, print } from './common.ts';

interface OverrideRow {
  id: string;
  budgetId: string;
  group?: string;
  unit: string;
  display: { amount: string };
  expiresAt: string;
  active: boolean;
  reason: string;
  author: string;
}

const COLUMNS: Column<OverrideRow>[] = [
  { header: 'id', value: (o) => o.id },
  { header: 'budget', value: (o) => o.budgetId + (o.group ? ` [${o.group}]` : '') },
  {
    header: 'extra',
    value: (o) => (o.unit === 'nano_usd' ? `$${o.display.amount}` : o.display.amount),
    align: 'right',
  },
  { header: 'expires', value: (o) => o.expiresAt },
  { header: 'active', value: (o) => (o.active ? 'yes' : 'no') },
  { header: 'reason', value: (o) => o.reason },
  { header: 'author', value: (o) => o.author },
];

/** `2h`, `30m`, `1d` from now, or an ISO time. */
export function expiresAt(v: string, now = Date.now()): string {
  const m = /^(\d+)([mhd])$/.exec(v);
  if (m)
    return new Date(
      now + Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm'],
    ).toISOString();
  if (Number.isNaN(Date.parse(v))) throw new InvalidArgumentError('expected 30m, 2h, 1d or an ISO date-time');
  return v;
}

export function registerOverrides(program: Command): void {
  const overrides = program.command('overrides').description('temporary extra headroom on a budget, audited');
  overrides
    .command('add <budget>')
    .description('add headroom until it expires')
    .requiredOption('--amount <n>', "in the budget's unit (USD, tokens, seconds, count)", (v) => {
      const n = Number(v);
      if (!(n > 0)) throw new InvalidArgumentError('expected a positive number');
      return n;
    })
    .requiredOption('--expires <when>', '30m, 2h, 1d or an ISO date-time', (v) => expiresAt(v))
    .requiredOption('--reason <text>', 'why (kept in the audit log)')
    .option('--author <name>', 'who (default $USER)', process.env.USER ?? 'cli')
    .option('--group <group>', 'only this group of a grouped budget')
    .action(
      async (
        budgetId: string,
        o: { amount: number; expires: string; reason: string; author: string; group?: string },
        cmd: Command,
      ) => {
        const body = {
          budgetId,
          amount: o.amount,
          expiresAt: o.expires,
          reason: o.reason,
          author: o.author,
          ...(o.group !== undefined ? { group: o.group } : {}),
        };
        const { body: created } = await clientOf(cmd.optsWithGlobals<GlobalOptions>()).json<OverrideRow>(
          'POST',
          '/v1/overrides',
          body,
        );
        print(`override ${created.id} added\n${render([created], COLUMNS, 'table')}`);
      },
    );
  overrides
    .command('list')
    .option('--budget <id>', 'only this budget')
    .option('--all', 'include expired overrides')
    .addOption(formatOption())
    .action(async (o: { budget?: string; all?: boolean; format: 'table' | 'json' | 'csv' }, cmd: Command) => {
      const { overrides: rows } = await clientOf(cmd.optsWithGlobals<GlobalOptions>()).get<{
        overrides: OverrideRow[];
      }>(`/v1/overrides${query({ budgetId: o.budget, includeExpired: o.all ? 'true' : undefined })}`);
      print(render(rows, COLUMNS, o.format));
    });
  overrides.command('delete <id>').action(async (id: string, _o: unknown, cmd: Command) => {
    await clientOf(cmd.optsWithGlobals<GlobalOptions>()).json(
      'DELETE',
      `/v1/overrides/${encodeURIComponent(id)}`,
    );
    print(`deleted override ${id}`);
  });
}
