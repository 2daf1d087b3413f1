import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type DataPoint, DataPointType, type Histogram, type MetricData } from '@opentelemetry/sdk-metrics';
import { instrumentOpenAIClient } from '../../../src/instrumentation/providers/openai.ts';
import { otelHarness } from '../../helpers/otel.ts';
import { openaiClient, startMockProvider } from '../../mock-provider/index.ts';

/**
 * Agent-side GenAI telemetry for Prometheus to scrape: the real openai SDK, instrumented by
 * bursar, calls a mock provider (plain and streamed, so time to first chunk is recorded) and the
 * OpenTelemetry SDK's metrics are exposed in Prometheus text the two ways they reach Prometheus:
 *
 * - `/otel-js`: as the OpenTelemetry JS Prometheus exporter names them (no unit suffix);
 * - `/otlp`: as Prometheus' OTLP receiver names them (unit suffix: `_seconds`; `{token}` dropped).
 */

export type NamingStyle = 'otel-js' | 'otlp';

const UNIT_WORDS: Record<string, string> = { s: 'seconds', ms: 'milliseconds', By: 'bytes' };

export function prometheusName(metric: MetricData, style: NamingStyle): string {
  let name = metric.descriptor.name.replace(/[^a-zA-Z0-9_:]/g, '_');
  const unit = metric.descriptor.unit;
  // Annotations in braces ({token}) carry no unit on either path.
  const word = style === 'otlp' && !unit.startsWith('{') ? UNIT_WORDS[unit] : undefined;
  if (word && !name.endsWith(`_${word}`)) name += `_${word}`;
  if (metric.dataPointType === DataPointType.SUM && metric.isMonotonic) name += '_total';
  return name;
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function labels(attrs: Record<string, unknown>, extra: [string, string][] = []): string {
  const pairs = [
    ...Object.entries(attrs).map(([k, v]) => [k.replace(/[^a-zA-Z0-9_]/g, '_'), String(v)]),
    ...extra,
  ];
  return pairs.length ? `{${pairs.map(([k, v]) => `${k}="${escape(v!)}"`).join(',')}}` : '';
}

/** Prometheus text exposition of OpenTelemetry SDK metrics. */
export function exposition(metrics: Iterable<MetricData>, style: NamingStyle): string {
  const out: string[] = [];
  for (const m of metrics) {
    const name = prometheusName(m, style);
    if (m.dataPointType === DataPointType.HISTOGRAM) {
      out.push(`# TYPE ${name} histogram`);
      for (const p of m.dataPoints as DataPoint<Histogram>[]) {
        let cumulative = 0;
        p.value.buckets.boundaries.forEach((le, i) => {
          cumulative += p.value.buckets.counts[i]!;
          out.push(`${name}_bucket${labels(p.attributes, [['le', String(le)]])} ${cumulative}`);
        });
        out.push(`${name}_bucket${labels(p.attributes, [['le', '+Inf']])} ${p.value.count}`);
        out.push(`${name}_sum${labels(p.attributes)} ${p.value.sum ?? 0}`);
        out.push(`${name}_count${labels(p.attributes)} ${p.value.count}`);
      }
    } else {
      const counter = m.dataPointType === DataPointType.SUM && m.isMonotonic;
      out.push(`# TYPE ${name} ${counter ? 'counter' : 'gauge'}`);
      for (const p of m.dataPoints as DataPoint<number>[])
        out.push(`${name}${labels(p.attributes)} ${p.value}`);
    }
  }
  return `${out.join('\n')}\n`;
}

export interface GenAiTarget {
  /** host:port */
  readonly address: string;
  /** Metric names currently exposed under each style. */
  names(style: NamingStyle): Promise<Set<string>>;
  close(): Promise<void>;
}

/** Starts the mock provider, a call every 250 ms (every other one streamed), and the exposition server. */
export async function startGenAiTarget(): Promise<GenAiTarget> {
  const mock = await startMockProvider();
  const h = otelHarness();
  const client = instrumentOpenAIClient(openaiClient(mock), h.telemetry);
  const messages = [{ role: 'user' as const, content: 'hi' }];
  let n = 0;
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();
  const call = async () => {
    n += 1;
    const model = n % 3 === 0 ? 'gpt-4o' : 'gpt-4o-mini';
    if (n % 2 === 0) {
      const stream = await client.chat.completions.create({ model, messages, stream: true });
      for await (const _chunk of stream) {
        // drained: the last chunk carries the usage
      }
    } else {
      await client.chat.completions.create({ model, messages });
    }
    mock.reset();
  };
  await call();
  await call();
  const loop = setInterval(() => {
    if (!stopped) inFlight = inFlight.then(call).catch(() => {});
  }, 250);

  const server = createServer((req, res) => {
    const style: NamingStyle | undefined =
      req.url === '/otel-js' ? 'otel-js' : req.url === '/otlp' ? 'otlp' : undefined;
    if (!style) return void res.writeHead(404).end();
    h.metrics().then(
      (m) =>
        res
          .writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
          .end(exposition(m.values(), style)),
      () => res.writeHead(500).end(),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    async names(style) {
      const text = exposition((await h.metrics()).values(), style);
      return new Set(
        text.split('\n').flatMap((l) => (l && !l.startsWith('#') ? [/^[^{ ]+/.exec(l)![0]] : [])),
      );
    },
    async close() {
      stopped = true;
      clearInterval(loop);
      await inFlight;
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await mock.close();
    },
  };
}
