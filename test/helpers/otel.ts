import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  MeterProvider,
  MetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { GenAiTelemetry } from '../../src/instrumentation/telemetry.ts';
import type { InstrumentationSettings } from '../../src/instrumentation/settings.ts';
import { PriceCatalog } from '../../src/pricing/catalog.ts';
import type { PricedRecord } from '../../src/usage/usage-record.ts';

/** A metric reader the test pulls from. */
class PullReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** In-memory span exporter, pull metric reader and a telemetry instance wired to both. */
export function otelHarness(settings: Partial<InstrumentationSettings> = {}) {
  // Context (baggage, suppression, the call marker) needs a context manager, as NodeSDK installs.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const spans = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({
    spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
  });
  const reader = new PullReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const telemetry = new GenAiTelemetry(new PriceCatalog(), { tracerProvider, meterProvider, ...settings });
  const records: PricedRecord[] = [];
  telemetry.onRecord((r) => records.push(r));
  return {
    telemetry,
    spans,
    records,
    /** Every metric by name. */
    async metrics(): Promise<Map<string, MetricData>> {
      const { resourceMetrics } = await reader.collect();
      const out = new Map<string, MetricData>();
      for (const sm of resourceMetrics.scopeMetrics)
        for (const m of sm.metrics) out.set(m.descriptor.name, m);
      return out;
    },
    /** Finished spans (after the processor has exported everything ended so far). */
    async finishedSpans() {
      await tracerProvider.forceFlush();
      return spans.getFinishedSpans();
    },
    reset() {
      spans.reset();
      records.length = 0;
    },
  };
}

/** Sum of histogram point sums matching the attribute filter. */
export function histogramSum(m: MetricData | undefined, match: Record<string, unknown> = {}): number {
  if (!m) return 0;
  let total = 0;
  for (const p of m.dataPoints as DataPoint<Histogram | number>[]) {
    if (Object.entries(match).every(([k, v]) => p.attributes[k] === v)) {
      total += typeof p.value === 'number' ? p.value : (p.value.sum ?? 0);
    }
  }
  return total;
}

export function histogramCount(m: MetricData | undefined, match: Record<string, unknown> = {}): number {
  if (!m) return 0;
  let total = 0;
  for (const p of m.dataPoints as DataPoint<Histogram>[]) {
    if (Object.entries(match).every(([k, v]) => p.attributes[k] === v)) total += p.value.count;
  }
  return total;
}
