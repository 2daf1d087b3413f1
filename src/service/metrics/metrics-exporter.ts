import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../auth/principal.ts';
import type { ServiceContext } from '../context.ts';
import { MetricsRegistry } from './registry.ts';

export interface MetricsExporter {
  handle(req: IncomingMessage, res: ServerResponse): void;
  close(): void;
}

function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body);
}

/**
 * Who may scrape: admin keys; ingest keys only when `metrics.scrapeWithIngestKeys` is set
 * (they sit on every agent host, and the families show every tenant's usage); tenant keys
 * never (the families are not split by tenant). With no keys configured the service is
 * loopback-only and every request is the anonymous admin.
 */
function mayScrape(p: Principal, ingestKeys: boolean): boolean {
  return p.role === 'admin' || (p.role === 'ingest' && ingestKeys);
}

/** `GET /metrics` on the API port: the Prometheus text exposition. */
export function createMetricsExporter(ctx: ServiceContext): MetricsExporter {
  const registry = new MetricsRegistry(ctx);
  const ingestKeys = ctx.config.metrics.scrapeWithIngestKeys;
  return {
    handle(req, res) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendError(res, 405, 'method_not_allowed', '/metrics answers GET only', { allow: 'GET, HEAD' });
        return;
      }
      const auth = ctx.keys.authenticate(req.headers.authorization);
      if (!auth.ok) {
        sendError(res, 401, 'unauthorized', auth.message, { 'www-authenticate': 'Bearer' });
        return;
      }
      if (!mayScrape(auth.principal, ingestKeys)) {
        const allowed = ingestKeys
          ? 'admin and ingest keys'
          : 'admin keys (or ingest keys with metrics.scrapeWithIngestKeys)';
        sendError(
          res,
          403,
          'forbidden',
          `key ${auth.principal.name} (${auth.principal.role}) may not read /metrics: ${allowed} only`,
        );
        return;
      }
      registry.render().then(
        (chunks) => {
          res.writeHead(200, {
            'content-type': registry.contentType,
            'content-length': chunks.reduce((n, c) => n + c.length, 0),
            'cache-control': 'no-store',
          });
          if (req.method !== 'HEAD') for (const c of chunks) res.write(c);
          res.end();
        },
        (error: unknown) => {
          ctx.log.error({ err: error }, '/metrics failed');
          if (!res.headersSent) sendError(res, 500, 'internal', 'metrics could not be collected');
          else res.destroy();
        },
      );
    },
    close() {
      registry.close();
    },
  };
}
