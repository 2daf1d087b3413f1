import { Command, InvalidArgumentError } from 'commander';
import { ConfigError } from '../service/config/load-config.ts';
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
  .showHelpAfterError();

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
      try {
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
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        console.error(`bursar: ${error.message}`);
        process.exitCode = 2;
      }
    },
  );

await program.parseAsync(process.argv);
