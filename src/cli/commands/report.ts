import type { Command } from 'commander';
import { query } from '../client.ts';
import { clientOf, type GlobalOptions, print } from './common.ts';
import { type WindowOptions, windowOptions } from './usage.ts';

/** `bursar report`: the service's summary report (calls, tokens, cost, averages, by agent and model). */
export function registerReport(program: Command): void {
  windowOptions(
    program.command('report').description('cost report: calls, tokens, cost, averages, by agent and model'),
  )
    .option('--json', 'the full report as JSON')
    .option('--optimize', 'also list savings suggestions from actual usage')
    .action(async (o: WindowOptions & { json?: boolean; optimize?: boolean }, cmd: Command) => {
      const client = clientOf(cmd.optsWithGlobals<GlobalOptions>());
      const q = query({ period: o.period, from: o.from, to: o.to, timeZone: o.timeZone });
      const summary = await client.get<{ text: string }>(`/v1/reports/summary${q}`);
      const optimize = o.optimize
        ? await client.get<{ text?: string; suggestions: unknown[] }>(`/v1/reports/optimize${q}`)
        : undefined;
      if (o.json) {
        print(JSON.stringify(optimize ? { summary, optimize } : summary, null, 2));
        return;
      }
      print(summary.text);
      if (optimize) print(optimize.text ?? JSON.stringify(optimize.suggestions, null, 2));
    });
}
