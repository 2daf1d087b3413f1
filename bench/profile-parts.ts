import { otelProviders } from './instrumentation.bench.ts';
import { GenAiTelemetry } from '../src/instrumentation/telemetry.ts';
import { PriceCatalog } from '../src/pricing/catalog.ts';
import { chatCompletionResult } from '../src/instrumentation/providers/openai-results.ts';
import { SpanKind } from '@opentelemetry/api';

/**
 * Costs of the pieces of one instrumented call, each in a tight loop against the bench's
 * real OTel SDK pair: what the SDK charges for a span and a metric point, and what
 * bursar's own start/end adds around them.
 *
 *   node bench/profile-parts.ts
 */
const otel = await otelProviders();
const t = new GenAiTelemetry(new PriceCatalog(), {
  tracerProvider: otel.tracerProvider,
  meterProvider: otel.meterProvider,
});
const body = JSON.parse(
  '{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1200,"completion_tokens":300,"total_tokens":1500,"prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":128,"audio_tokens":0}}}',
);
const req = () => ({
  provider: 'openai',
  operation: 'chat' as const,
  model: 'gpt-4o-mini',
  stream: false,
  serverAddress: 'api.openai.com',
  serverPort: 443,
  params: { maxTokens: 64 },
});
const { metrics, trace } = await import('@opentelemetry/api');
const noMeter = new GenAiTelemetry(new PriceCatalog(), {
  tracerProvider: otel.tracerProvider,
  meterProvider: metrics.getMeterProvider(),
});
const noTracer = new GenAiTelemetry(new PriceCatalog(), {
  tracerProvider: trace.getTracerProvider(),
  meterProvider: otel.meterProvider,
});
const noop = new GenAiTelemetry(new PriceCatalog(), {
  tracerProvider: trace.getTracerProvider(),
  meterProvider: metrics.getMeterProvider(),
});
const hist = otel.meterProvider.getMeter('x').createHistogram('h');
const tracer = otel.tracerProvider.getTracer('x');
const attrs = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o-mini',
  'server.address': 'api.openai.com',
  'server.port': 443,
  'gen_ai.request.max_tokens': 64,
};
const cases: [string, () => unknown][] = [
  ['startSpan+end, no attributes', () => tracer.startSpan('chat gpt-4o-mini').end()],
  [
    'startSpan(6 attrs)+end',
    () => tracer.startSpan('chat gpt-4o-mini', { kind: SpanKind.CLIENT, attributes: attrs }).end(),
  ],
  ['read result (chatCompletionResult)', () => chatCompletionResult(body)],
  ['histogram.record(6 attrs)', () => hist.record(1, attrs)],
  ['t.start(req).end(result)', () => t.start(req()).end(chatCompletionResult(body))],
  ['  … no-op meter', () => noMeter.start(req()).end(chatCompletionResult(body))],
  ['  … no-op tracer', () => noTracer.start(req()).end(chatCompletionResult(body))],
  ['  … both no-op', () => noop.start(req()).end(chatCompletionResult(body))],
];
for (let rep = 0; rep < 3; rep++)
  for (const [name, fn] of cases) {
    const N = 100_000;
    for (let i = 0; i < 1000; i++) fn();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fn();
    console.log(`${name}: ${(Number(process.hrtime.bigint() - t0) / N).toFixed(0)} ns`);
  }
