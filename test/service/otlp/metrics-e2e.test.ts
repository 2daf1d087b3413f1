import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Attributes } from '@opentelemetry/api';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { METRIC_GEN_AI_CLIENT_TOKEN_USAGE, TOKEN_USAGE_BUCKETS } from '../../../src/semconv.ts';
import { startTestService, type TestService } from '../../helpers/service.ts';
import { genAiSpan, itemStats, post, type Protocol, recordingProxy, sdkSender, totals } from './helpers.ts';
import { otlpProto } from './otlp-proto.ts';

/**
 * gen_ai.client.token.usage histograms from the official MeterProvider and OTLP metric
 * exporters (http/protobuf and http/json), delta and cumulative: usage for processes that
 * send only metrics, exact across exports, restarts, resets and retries.
 */

const services: TestService[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(input: Parameters<typeof startTestService>[0] = {}, dataDir?: string) {
  const s = await startTestService(input, dataDir ? { dataDir } : {});
  services.push(s);
  return s;
}

type Temporality = 'delta' | 'cumulative';

function meterSender(url: string, protocol: Protocol, temporality: Temporality, resource: Attributes) {
  const options = {
    url: `${url}/v1/metrics`,
    temporalityPreference:
      temporality === 'delta' ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE,
  };
  const exporter = protocol === 'json' ? new JsonMetricExporter(options) : new ProtoMetricExporter(options);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ resource: resourceFromAttributes(resource), readers: [reader] });
  const histogram = provider.getMeter('bursar').createHistogram(METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
    unit: '{token}',
    advice: { explicitBucketBoundaries: [...TOKEN_USAGE_BUCKETS] },
  });
  // Recorded but not token usage: only counted as ignored points.
  const duration = provider.getMeter('bursar').createHistogram('gen_ai.client.operation.duration');
  const call = (model: string, input: number, output: number) => {
    const a = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': model,
    };
    histogram.record(input, { ...a, 'gen_ai.token.type': 'input' });
    histogram.record(output, { ...a, 'gen_ai.token.type': 'output' });
    duration.record(0.5, a);
  };
  return { call, flush: () => reader.forceFlush(), shutdown: () => provider.shutdown() };
}

describe.each<[Protocol, Temporality]>([
  ['protobuf', 'delta'],
  ['protobuf', 'cumulative'],
  ['json', 'delta'],
  ['json', 'cumulative'],
])('metrics over http/%s, %s temporality', (protocol, temporality) => {
  it('counts exactly what was recorded: several exports, a service restart, a client restart, a re-sent body', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'bursar-otlp-metrics-'));
    dirs.push(dataDir);
    let service = await start({}, dataDir);
    const proxy = await recordingProxy(service.otlpUrl);
    const resource = {
      'service.name': 'batch-job',
      'service.instance.id': 'job-1',
      'bursar.scope.tenant': 'acme',
    };
    const sender = meterSender(proxy.url, protocol, temporality, resource);
    try {
      sender.call('gpt-5.5', 100, 10);
      sender.call('gpt-5.5', 200, 20);
      sender.call('gpt-4o', 1000, 100);
      await sender.flush();
      sender.call('gpt-5.5', 50, 5);
      await sender.flush();
      await sender.flush();
      expect(await totals(service)).toMatchObject({ input: 1350, output: 135, unpricedCalls: 0 });
      // The exporter really sent the temporality asked for.
      const firstBody = proxy.recorded[0]!.body;
      const sent =
        protocol === 'json'
          ? JSON.parse(firstBody.toString())
          : otlpProto.ExportMetricsServiceRequest.toObject(
              otlpProto.ExportMetricsServiceRequest.decode(firstBody),
            );
      const usage = sent.resourceMetrics[0].scopeMetrics[0].metrics.find(
        (m: { name: string }) => m.name === METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
      );
      expect(usage.histogram.aggregationTemporality).toBe(temporality === 'delta' ? 1 : 2);

      // The service restarts on the same data; the client goes on (same start time): cumulative
      // points continue from the persisted cursors.
      await service.stop({ keepData: true });
      services.splice(services.indexOf(service), 1);
      service = await start({}, dataDir);
      proxy.retarget(service.otlpUrl);
      sender.call('gpt-5.5', 7, 3);
      await sender.flush();
      expect(await totals(service)).toMatchObject({ input: 1357, output: 138 });

      // The client restarts (same resource, new start time): its new series counts in full.
      const restarted = meterSender(proxy.url, protocol, temporality, resource);
      restarted.call('gpt-5.5', 40, 4);
      await restarted.flush();
      await restarted.shutdown();
      expect(await totals(service)).toMatchObject({ input: 1397, output: 142 });

      // An old body re-sent (a late retry) changes nothing.
      const contentType = protocol === 'json' ? 'application/json' : 'application/x-protobuf';
      const res = await post(`${service.otlpUrl}/v1/metrics`, proxy.recorded[0]!.body, { contentType });
      expect(res.status).toBe(200);
      expect(res.body.length).toBeLessThanOrEqual(2);
      expect(await totals(service)).toMatchObject({ input: 1397, output: 142 });
      expect(itemStats(service)['metrics duplicate']).toBeGreaterThanOrEqual(4);
      expect(itemStats(service)['metrics ignored']).toBeGreaterThanOrEqual(2);
      const tenants = await service.context.engine.store.aggregateUsage({
        from: 0,
        to: 8e12,
        groupBy: ['tenant', 'model'],
      });
      expect(Object.fromEntries(tenants.map((t) => [`${t.group.tenant}/${t.group.model}`, t.input]))).toEqual(
        {
          'acme/gpt-4o': 1000,
          'acme/gpt-5.5': 397,
        },
      );
    } finally {
      await sender.shutdown().catch(() => {});
      await proxy.close();
    }
  });
});

describe('spans and metrics from one process (otlp.precedence)', () => {
  const chatSpan = (tracer: ReturnType<typeof sdkSender>['tracer']) =>
    genAiSpan(tracer, 'chat gpt-5.5', {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-5.5',
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': 10,
    });

  it('spans (default): metrics of a process that sends spans are ignored; metrics-only processes count', async () => {
    const service = await start();
    const both = { 'service.name': 'agent', 'service.instance.id': 'agent-1' };
    const traces = sdkSender(service.otlpUrl, { resource: both });
    chatSpan(traces.tracer);
    await traces.flush();
    await traces.shutdown();
    const metrics = meterSender(service.otlpUrl, 'protobuf', 'delta', both);
    metrics.call('gpt-5.5', 100, 10);
    await metrics.flush();
    await metrics.shutdown();
    const only = meterSender(service.otlpUrl, 'protobuf', 'delta', { 'service.name': 'metrics-only' });
    only.call('gpt-5.5', 5, 1);
    await only.flush();
    await only.shutdown();
    expect(await totals(service)).toMatchObject({ input: 105, output: 11 });
    expect(itemStats(service)).toMatchObject({ 'traces accepted': 1, 'metrics accepted': 2 });
    expect(itemStats(service)['metrics ignored']).toBeGreaterThanOrEqual(2);
  });

  it('metrics: inference spans of a process that sends metrics are ignored, tool spans still count', async () => {
    const service = await start({ otlp: { precedence: 'metrics' } });
    const both = { 'service.name': 'agent', 'service.instance.id': 'agent-2' };
    const metrics = meterSender(service.otlpUrl, 'json', 'cumulative', both);
    metrics.call('gpt-5.5', 300, 30);
    await metrics.flush();
    await metrics.shutdown();
    const traces = sdkSender(service.otlpUrl, { resource: both, protocol: 'json' });
    chatSpan(traces.tracer);
    genAiSpan(traces.tracer, 'execute_tool search', {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'search',
    });
    await traces.flush();
    await traces.shutdown();
    expect(await totals(service)).toMatchObject({ input: 300, output: 30, calls: 2 });
    expect(itemStats(service)).toMatchObject({ 'traces accepted': 1, 'traces ignored': 1 });
  });
});
