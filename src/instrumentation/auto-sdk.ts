import { metrics, trace } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { BursarInstrumentation } from './bursar-instrumentation.ts';

/** True once some OpenTelemetry SDK has registered a global tracer provider. */
export function hasGlobalSdk(): boolean {
  const tp = trace.getTracerProvider() as { getDelegate?: () => object };
  const delegate = tp.getDelegate?.() ?? tp;
  return delegate.constructor?.name !== 'NoopTracerProvider';
}

let started: NodeSDK | undefined;

/**
 * Starts an OpenTelemetry NodeSDK exporting OTLP (http/protobuf unless the standard
 * OTEL_* variables say otherwise) — but only when the process has no SDK of its own.
 * Called lazily, at the first instrumented call: an application that starts its own
 * SDK after `--import bursar/register` keeps it, and gets no second one.
 */
export function ensureSdk(instrumentation: BursarInstrumentation): void {
  if (started || hasGlobalSdk() || process.env.OTEL_SDK_DISABLED === 'true') return;
  started = new NodeSDK({
    traceExporter: new OTLPTraceExporter(),
    metricReaders: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter() })],
    instrumentations: [instrumentation],
  });
  started.start();
  instrumentation.telemetry.useProviders({
    tracerProvider: trace.getTracerProvider(),
    meterProvider: metrics.getMeterProvider(),
  });
  const stop = () => {
    const sdk = started;
    started = undefined;
    return sdk
      ?.shutdown()
      .catch((error: unknown) => console.error('bursar: OpenTelemetry shutdown failed:', error));
  };
  process.once('beforeExit', () => void stop());
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void Promise.resolve(stop()).finally(() => process.kill(process.pid, signal));
    });
  }
}
