import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { query } from '../client.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { type Column, render } from '../output.ts';
import { clientOf, formatOption, type GlobalOptions, print } from './common.ts';

interface PriceRow {
  model: string;
  provider: string;
  effectiveFrom: string;
  origin: string;
  free?: boolean;
  usdPerMTok: { input: string; output: string; cacheRead?: string; cacheWrite?: string };
  tiers?: unknown[];
}

const COLUMNS: Column<PriceRow>[] = [
  { header: 'model', value: (p) => p.model },
  { header: 'provider', value: (p) => p.provider },
  { header: 'from', value: (p) => p.effectiveFrom },
  { header: 'origin', value: (p) => p.origin },
  { header: 'input $/M', value: (p) => (p.free ? 'free' : p.usdPerMTok.input), align: 'right' },
  { header: 'output $/M', value: (p) => (p.free ? 'free' : p.usdPerMTok.output), align: 'right' },
  { header: 'cache read $/M', value: (p) => p.usdPerMTok.cacheRead ?? '', align: 'right' },
  { header: 'cache write $/M', value: (p) => p.usdPerMTok.cacheWrite ?? '', align: 'right' },
  { header: 'tiers', value: (p) => (p.tiers?.length ? String(p.tiers.length) : ''), align: 'right' },
];

function usdPerM(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected USD per 1M tokens, e.g. 2.5');
  return n;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`${file}: ${(error as Error).message}`, EXIT.USAGE);
  }
}

export function registerPrices(program: Command): void {
  const prices = program.command('prices').description('the price catalog');
  prices
    .command('list')
    .description('custom prices first, then the shipped ones')
    .option('--model <text>', 'only models whose name contains this')
    .addOption(formatOption())
    .action(async (opts: { model?: string; format: 'table' | 'json' | 'csv' }, cmd: Command) => {
      const list = await clientOf(cmd.optsWithGlobals<GlobalOptions>()).get<{
        version: string;
        prices: PriceRow[];
      }>('/v1/prices');
      const rows = opts.model ? list.prices.filter((p) => p.model.includes(opts.model!)) : list.prices;
      if (opts.format === 'json') print(JSON.stringify({ ...list, prices: rows }, null, 2));
      else
        print(
          render(rows, COLUMNS, opts.format) + (opts.format === 'table' ? `\ncatalog ${list.version}` : ''),
        );
    });
  prices
    .command('set <model>')
    .description('set a custom price in USD per 1M tokens (wins over the shipped price)')
    .option('--provider <provider>', 'only for this gen_ai.provider.name (default: any)')
    .option('--input <usd>', 'input, per 1M tokens', usdPerM)
    .option('--output <usd>', 'output, per 1M tokens', usdPerM)
    .option('--cache-read <usd>', 'cache read, per 1M tokens', usdPerM)
    .option('--cache-write <usd>', 'cache write, per 1M tokens', usdPerM)
    .option('--effective-from <date>', 'YYYY-MM-DD')
    .option('--free', 'the model costs nothing (not the same as unpriced)')
    .action(
      async (
        model: string,
        o: {
          provider?: string;
          input?: number;
          output?: number;
          cacheRead?: number;
          cacheWrite?: number;
          effectiveFrom?: string;
          free?: boolean;
        },
        cmd: Command,
      ) => {
        const body: Record<string, unknown> = { model };
        for (const [k, v] of Object.entries(o)) if (v !== undefined) body[k] = v;
        const { body: res } = await clientOf(cmd.optsWithGlobals<GlobalOptions>()).json<{
          version: string;
          price: PriceRow;
        }>('PUT', `/v1/prices/${encodeURIComponent(model)}`, body);
        print(`price set (catalog ${res.version})\n${render([res.price], COLUMNS, 'table')}`);
      },
    );
  prices
    .command('import <file>')
    .description("import LiteLLM's model_prices_and_context_window.json as custom prices")
    .option('--source <text>', 'where the file came from (kept beside each price)')
    .option('--effective-from <date>', 'YYYY-MM-DD')
    .action(async (file: string, o: { source?: string; effectiveFrom?: string }, cmd: Command) => {
      const { body } = await clientOf(cmd.optsWithGlobals<GlobalOptions>()).json<Record<string, unknown>>(
        'POST',
        `/v1/prices/import${query({ source: o.source, effectiveFrom: o.effectiveFrom })}`,
        readJson(file),
      );
      print(JSON.stringify(body, null, 2));
    });
}
