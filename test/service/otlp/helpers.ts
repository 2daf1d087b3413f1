import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import {
  type Attributes,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { UsageAggregate } from '../../../src/store/store.ts';
import type { TestService } from '../../helpers/service.ts';

/** Shared pieces of the OTLP receiver tests: official SDK senders, raw posts, a recording proxy. */

export const NS = 1_000_000;
/** A fixed end time (ms) for spans, so records land in known periods. */
export const T_END = Date.UTC(2026, 4, 20, 10, 0, 0);

export type Protocol = 'protobuf' | 'json';

export interface SdkSender {
  tracer: Tracer;
  provider: TracerProvider;
  /** Exports everything ended so far; resolves once the exporter has an answer. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** A TracerProvider of the official SDK with an official OTLP exporter (http/protobuf or http/json). */
export function sdkSender(
  url: string,
  options: {
    protocol?: Protocol;
    resource?: Attributes;
    headers?: Record<string, string>;
    gzip?: boolean;
  } = {},
): SdkSender {
  const config = {
    url: `${url}/v1/traces`,
    headers: options.headers ?? {},
    ...(options.gzip ? { compression: 'gzip' as never } : {}),
  };
  const exporter =
    options.protocol === 'json' ? new JsonTraceExporter(config) : new ProtoTraceExporter(config);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'test-agent', ...options.resource }),
    spanProcessors: [
      new BatchSpanProcessor({ exporter, maxExportBatchSize: 512, scheduledDelayMillis: 60_000 }),
    ],
  });
  return {
    tracer: provider.getTracer('test-instrumentation'),
    provider,
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/** Starts and ends a span with fixed times; returns it (ended). */
export function genAiSpan(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  options: { endMs?: number; durationMs?: number; error?: boolean; parent?: Span } = {},
): Span {
  const end = options.endMs ?? T_END;
  const start = end - (options.durationMs ?? 800);
  const ctx = options.parent ? trace.setSpan(context.active(), options.parent) : context.active();
  const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes, startTime: start }, ctx);
  if (options.error) span.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  span.end(end);
  return span;
}

export interface PostOptions {
  contentType?: string;
  gzip?: boolean;
  headers?: Record<string, string>;
  method?: string;
}

export interface PostResult {
  status: number;
  headers: Headers;
  body: Buffer;
}

/** A raw OTLP/HTTP post (the tests' own client for bodies the SDK would never send). */
export async function post(
  url: string,
  body: Uint8Array | string,
  options: PostOptions = {},
): Promise<PostResult> {
  let bytes: Uint8Array = typeof body === 'string' ? Buffer.from(body) : body;
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? 'application/x-protobuf',
    ...options.headers,
  };
  if (options.gzip) {
    bytes = gzipSync(bytes);
    headers['content-encoding'] = 'gzip';
  }
  const method = options.method ?? 'POST';
  const res = await fetch(url, {
    method,
    headers,
    ...(method === 'GET' || method === 'HEAD' ? {} : { body: bytes }),
  });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

export interface Recorded {
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/**
 * An HTTP proxy in front of the service that records every request body. With
 * `loseFirstAnswers: n` it forwards the first n requests but answers the exporter 503
 * (Retry-After: 1), as if the service's answer had been lost: the exporter then re-sends
 * the same body.
 */
export async function recordingProxy(initialTarget: string, options: { loseFirstAnswers?: number } = {}) {
  let target = initialTarget;
  const recorded: Recorded[] = [];
  let toLose = options.loseFirstAnswers ?? 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      recorded.push({ path: req.url ?? '', headers: req.headers, body });
      const headers: Record<string, string> = {};
      for (const h of ['content-type', 'content-encoding', 'authorization'])
        if (typeof req.headers[h] === 'string') headers[h] = req.headers[h];
      void fetch(`${target}${req.url}`, { method: 'POST', headers, body }).then(async (r) => {
        const answer = Buffer.from(await r.arrayBuffer());
        if (toLose > 0) {
          toLose -= 1;
          res.writeHead(503, { 'retry-after': '1' }).end();
          return;
        }
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? '' }).end(answer);
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    recorded,
    /** Forwards to another service from now on (a restarted one listens on a new port). */
    retarget(url: string) {
      target = url;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** Every usage record's totals, in one group. */
export async function totals(service: TestService): Promise<UsageAggregate | undefined> {
  const rows = await service.context.engine.store.aggregateUsage({ from: 0, to: 8e12, groupBy: [] });
  return rows[0];
}

export async function grouped(service: TestService, by: 'agent' | 'tenant' | 'model' | 'provider' | 'tool') {
  const rows = await service.context.engine.store.aggregateUsage({ from: 0, to: 8e12, groupBy: [by] });
  return Object.fromEntries(rows.map((r) => [r.group[by], r]));
}

export function itemStats(service: TestService): Record<string, number> {
  return Object.fromEntries(service.context.stats.ingestItems);
}

export function requestStats(service: TestService): Record<string, number> {
  return Object.fromEntries(service.context.stats.ingestRequests);
}
