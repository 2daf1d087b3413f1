import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServiceContext } from '../context.ts';

export interface MetricsExporter {
  handle(req: IncomingMessage, res: ServerResponse): void;
  close(): void;
}

// PLACEHOLDER: replaced by the Prometheus exporter.
export function createMetricsExporter(_ctx: ServiceContext): MetricsExporter {
  return {
    handle(_req, res) {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end('');
    },
    close() {},
  };
}
