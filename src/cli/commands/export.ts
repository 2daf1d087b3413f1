import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import { type Command, Option } from 'commander';
import { query } from '../client.ts';
import { clientOf, type GlobalOptions } from './common.ts';
import { type WindowOptions, windowOptions } from './usage.ts';

interface RecordsPage {
  records: { time: string }[];
  nextCursor: string | null;
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/**
 * `bursar export`: every usage record of a window, page by page (JSON lines or CSV), to a
 * file or stdout. The progress bar (stderr) follows the time covered, since the total count
 * is not known until the end.
 */
export function registerExport(program: Command): void {
  windowOptions(program.command('export').description('export usage records (JSON lines or CSV)'))
    .addOption(
      new Option('-f, --format <format>', 'output format').choices(['jsonl', 'csv']).default('jsonl'),
    )
    .option('-o, --output <file>', 'write here instead of stdout')
    .option('--page-size <n>', 'records per request', '5000')
    .option('--no-progress', 'no progress bar')
    .action(
      async (
        o: WindowOptions & { format: 'jsonl' | 'csv'; output?: string; pageSize: string; progress: boolean },
        cmd: Command,
      ) => {
        const client = clientOf(cmd.optsWithGlobals<GlobalOptions>());
        const out: Writable = o.output ? createWriteStream(o.output) : process.stdout;
        const base = { period: o.period, from: o.from, to: o.to, timeZone: o.timeZone, limit: o.pageSize };
        const showBar =
          o.progress && (o.output !== undefined || !process.stdout.isTTY) && process.stderr.isTTY;
        const bar = showBar
          ? new cliProgress.SingleBar(
              {
                format: 'export [{bar}] {percentage}% | {records} records',
                stream: process.stderr,
                hideCursor: true,
              },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
        let cursor: string | undefined;
        let records = 0;
        let header = true;
        let span: { from: number; to: number } | undefined;
        bar?.start(100, 0, { records: 0 });
        do {
          const q = query({ ...base, cursor, format: o.format === 'csv' ? 'csv' : undefined });
          let next: string | null;
          let times: number[];
          if (o.format === 'csv') {
            const res = await client.raw('GET', `/v1/usage/records${q}`, 'text/csv');
            const text = await res.text();
            next = res.headers.get('x-next-cursor');
            const lines = text.split('\n').filter(Boolean);
            await write(out, `${(header ? lines : lines.slice(1)).join('\n')}\n`);
            header = false;
            records += lines.length - 1;
            times = [];
          } else {
            const page = await client.get<RecordsPage>(`/v1/usage/records${q}`);
            next = page.nextCursor;
            await write(out, page.records.map((r) => `${JSON.stringify(r)}\n`).join(''));
            records += page.records.length;
            times = page.records.map((r) => Date.parse(r.time));
          }
          if (bar) {
            span ??= { from: times[0] ?? Date.now(), to: Date.now() };
            const last = times.at(-1);
            const pct =
              next === null ? 100 : last ? ((last - span.from) / Math.max(1, span.to - span.from)) * 100 : 50;
            bar.update(Math.min(100, Math.max(0, Math.floor(pct))), { records });
          }
          cursor = next ?? undefined;
        } while (cursor !== undefined);
        bar?.stop();
        if (o.output) {
          out.end();
          await once(out, 'finish');
          process.stderr.write(`exported ${records} records to ${o.output}\n`);
        }
      },
    );
}
