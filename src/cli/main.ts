import { Command, InvalidArgumentError } from 'commander';
import { serve } from './serve.ts';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

const program = new Command()
  .name('bursar')
  .description('OpenTelemetry-native token and cost budgets for GenAI agents')
  .showHelpAfterError();

program
  .command('serve')
  .description('run bursar on its embedded SQLite store')
  .option('--data <dir>', 'directory for the SQLite database', process.env.BURSAR_DATA_DIR ?? './data')
  .option('--sweep-ms <ms>', 'how often expired reservations are released', positiveInt, 1000)
  .action(async (opts: { data: string; sweepMs: number }) => {
    await serve({ dataDir: opts.data, sweepMs: opts.sweepMs });
  });

await program.parseAsync(process.argv);
