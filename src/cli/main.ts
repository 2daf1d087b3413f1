import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ConfigError } from '../service/config/load-config.ts';
import { registerExport } from './commands/export.ts';
import { registerLimits } from './commands/limits.ts';
import { registerOverrides } from './commands/overrides.ts';
import { registerPrices } from './commands/prices.ts';
import { registerReport } from './commands/report.ts';
import { registerStatus } from './commands/status.ts';
import { registerUsage } from './commands/usage.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { serve } from './serve.ts';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('expected a port number 0-65535');
  return n;
}

const program = new Command()
  .name('bursar')
  .description('OpenTelemetry-native token and cost budgets for GenAI agents')
  .option('--url <url>', 'bursar service REST API (default $BURSAR_URL or http://127.0.0.1:8013)')
  .option('--api-key <key>', 'API key (default $BURSAR_API_KEY)')
  .addHelpText(
    'after',
    `\nExit codes: ${EXIT.OK} ok, ${EXIT.ERROR} error, ${EXIT.USAGE} bad arguments or request, ${EXIT.AUTH} auth, ` +
      `${EXIT.UNAVAILABLE} service unreachable, ${EXIT.CRITICAL} critical budget (status --check), ${EXIT.DENIED} denied.`,
  )
  .showHelpAfterError()
  .exitOverride();

program
  .command('serve')
  .description('run the bursar service (OTLP receiver, REST API, /metrics)')
  .option('-c, --config <file>', 'bursar.yaml (default: $BURSAR_CONFIG)')
  .option('--host <host>', 'interface to bind (default 127.0.0.1)')
  .option('--otlp-port <port>', 'OTLP/HTTP port (default 4318)', port)
  .option('--api-port <port>', 'REST API and /metrics port (default 8013)', port)
  .option('--data <dir>', 'directory for the SQLite database (default ./data)')
  .option('--store <kind>', 'sqlite (default) or memory')
  .action(
    async (opts: {
      config?: string;
      host?: string;
      otlpPort?: number;
      apiPort?: number;
      data?: string;
      store?: string;
    }) => {
      await serve({
        ...(opts.config ? { config: opts.config } : {}),
        overrides: {
          ...(opts.host !== undefined ? { host: opts.host } : {}),
          ...(opts.otlpPort !== undefined ? { otlpPort: opts.otlpPort } : {}),
          ...(opts.apiPort !== undefined ? { apiPort: opts.apiPort } : {}),
          ...(opts.data !== undefined ? { dataDir: opts.data } : {}),
          ...(opts.store !== undefined ? { store: opts.store } : {}),
        },
      });
    },
  );
registerStatus(program);
registerLimits(program);
registerUsage(program);
registerPrices(program);
registerOverrides(program);
registerReport(program);
registerExport(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // --help and --version exit 0; argument errors were already printed by commander.
    process.exitCode = error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  } else if (error instanceof CliError || error instanceof ConfigError) {
    console.error(`bursar: ${error.message}`);
    process.exitCode = error instanceof CliError ? error.exitCode : EXIT.USAGE;
  } else {
    console.error('bursar:', error);
    process.exitCode = EXIT.ERROR;
  }
}
