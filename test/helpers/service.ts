import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { ServiceConfigInput } from '../../src/service/config/config-schema.ts';
import { parseConfig } from '../../src/service/config/load-config.ts';
import { createLogger } from '../../src/service/log.ts';
import { type RunningService, startService } from '../../src/service/service.ts';

export interface TestService extends RunningService {
  dataDir: string;
  /** Every log line the service wrote, parsed. */
  logs: Record<string, unknown>[];
  /** Stops the service and removes its data directory (unless keepData). */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/**
 * The real service on ephemeral loopback ports with a temporary SQLite directory (or the
 * one given, to test restarts). Logs are captured, not printed.
 */
export async function startTestService(
  input: ServiceConfigInput = {},
  options: { dataDir?: string; now?: () => number } = {},
): Promise<TestService> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'bursar-svc-'));
  const config = parseConfig({
    ...input,
    host: '127.0.0.1',
    otlp: { ...input.otlp, port: 0 },
    api: { ...input.api, port: 0 },
    store: { kind: 'sqlite', ...input.store, dataDir },
  });
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as never);
      cb();
    },
  });
  const service = await startService(config, {
    log: createLogger(config.log.level, sink),
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    ...service,
    dataDir,
    logs,
    async stop(o = {}) {
      await service.close();
      if (!o.keepData && !options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
