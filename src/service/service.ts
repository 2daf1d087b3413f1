import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { BudgetEngine } from '../budget/engine.ts';
import { snapshotHistory } from '../budget/status.ts';
import { PriceCatalog } from '../pricing/catalog.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { redisOptionsFromConfig } from '../store/redis-config.ts';
import { RedisStore } from '../store/redis-store.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { createApiApp } from './api/api-app.ts';
import { KeyRing } from './auth/key-ring.ts';
import type { ServiceConfig } from './config/config-schema.ts';
import type { ServiceContext } from './context.ts';
import { loadCustomPrices } from './custom-prices.ts';
import { createEventHub } from './events/event-hub.ts';
import { createWebhookSender } from './events/webhooks.ts';
import { createLogger, type Logger } from './log.ts';
import { createMetricsExporter } from './metrics/metrics-exporter.ts';
import { createOtlpReceiver } from './otlp/otlp-receiver.ts';
import { ServiceStats } from './service-stats.ts';

export interface RunningService {
  readonly context: ServiceContext;
  /** e.g. http://127.0.0.1:4318 */
  readonly otlpUrl: string;
  /** e.g. http://127.0.0.1:8013 (REST API, /metrics, /ws) */
  readonly apiUrl: string;
  /** Stops listening, answers what was accepted, flushes the store. Idempotent. */
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function openStore(config: ServiceConfig, now?: () => number): Store {
  if (config.store.kind === 'memory') return new MemoryStore();
  if (config.store.kind === 'redis') return new RedisStore(redisOptionsFromConfig(config.store.redis!, now));
  return new SqliteStore({
    path: path.resolve(config.store.dataDir, 'bursar.db'),
    synchronous: config.store.synchronous,
    dedupeWindow: config.store.dedupeWindow,
  });
}

async function listen(server: Server, host: string, port: number): Promise<string> {
  server.listen(port, host);
  await once(server, 'listening');
  const a = server.address() as AddressInfo;
  const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return `http://${h}:${a.port}`;
}

/**
 * Wires the service: store → engine, OTLP receiver on one port, REST API + /metrics +
 * WebSocket on the other, webhooks, and the timers that drive expiry and history.
 */
export async function startService(
  config: ServiceConfig,
  options: { log?: Logger; now?: () => number } = {},
): Promise<RunningService> {
  const log = options.log ?? createLogger(config.log.level);
  const keys = new KeyRing(config.auth.keys);
  let host = config.host;
  if (keys.open && !LOOPBACK.has(host)) {
    log.warn({ requested: host }, 'no API keys configured: binding 127.0.0.1 only');
    host = '127.0.0.1';
  } else if (keys.open) {
    log.warn('no API keys configured: every local request is admin (loopback only)');
  }
  const store = openStore(config, options.now);
  // Custom prices set through the API (kept in dataDir/prices.json) survive restarts.
  const catalog = new PriceCatalog({ custom: loadCustomPrices(config) });
  const engine = new BudgetEngine({
    store,
    pricer: catalog,
    customLabels: config.customLabels,
    ...(options.now ? { now: options.now } : {}),
  });
  await engine.init();
  for (const spec of config.budgets) await engine.putBudget(spec, 'config');

  const context: ServiceContext = { config, engine, catalog, keys, log, stats: new ServiceStats() };
  const otlp = createOtlpReceiver(context);
  const app = createApiApp(context);
  const metrics = createMetricsExporter(context);
  const hub = createEventHub(context);
  const webhooks = createWebhookSender(context);

  const otlpServer = createServer(otlp.handle);
  const apiServer = createServer((req, res) => {
    if (req.url === '/metrics' || req.url?.startsWith('/metrics?')) metrics.handle(req, res);
    else app(req, res);
  });
  apiServer.on('upgrade', hub.handleUpgrade);
  const otlpUrl = await listen(otlpServer, host, config.otlp.port);
  const apiUrl = await listen(apiServer, host, config.api.port);

  const sweep = setInterval(() => {
    engine.expireReservations().catch((error: unknown) => log.error({ err: error }, 'expiry sweep failed'));
  }, config.expirySweepMs);
  const snapshots = setInterval(() => {
    snapshotHistory(engine).catch((error: unknown) => log.error({ err: error }, 'history snapshot failed'));
  }, config.snapshotIntervalMs);
  // Replicas sharing Redis learn of budget and override changes made through the others.
  const reload =
    store.kind === 'redis'
      ? setInterval(() => {
          engine.set.load().catch((error: unknown) => log.warn({ err: error }, 'budget reload failed'));
        }, config.budgetReloadMs)
      : undefined;
  sweep.unref();
  snapshots.unref();
  reload?.unref();

  log.info(
    { otlp: otlpUrl, api: apiUrl, store: store.kind, budgets: engine.budgets().length },
    `bursar listening: OTLP/HTTP ${otlpUrl}/v1/traces, REST API ${apiUrl}/v1, metrics ${apiUrl}/metrics`,
  );

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      clearInterval(sweep);
      clearInterval(snapshots);
      clearInterval(reload);
      const stopped = Promise.all([
        new Promise((r) => otlpServer.close(r)),
        new Promise((r) => apiServer.close(r)),
      ]);
      otlpServer.closeIdleConnections();
      apiServer.closeIdleConnections();
      await otlp.drain();
      await hub.close();
      await webhooks.close();
      metrics.close();
      await stopped;
      await store.close();
      log.info('bursar stopped: everything accepted is committed');
    })());
  return { context, otlpUrl, apiUrl, close };
}
