import { type ConfigOverrides, loadConfig } from '../service/config/load-config.ts';
import { startService } from '../service/service.ts';

/**
 * `bursar serve`: loads the configuration, starts the service and stops it gracefully on
 * SIGINT/SIGTERM (everything accepted is committed before exit).
 */
export async function serve(options: { config?: string; overrides: ConfigOverrides }): Promise<void> {
  const config = loadConfig({
    ...(options.config ? { file: options.config } : {}),
    overrides: options.overrides,
  });
  const service = await startService(config);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.context.log.info({ signal }, 'stopping');
    service.close().then(
      () => process.exit(0),
      (error: unknown) => {
        service.context.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
