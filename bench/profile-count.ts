import type OpenAI from 'openai';
import type * as Results from '../src/instrumentation/providers/openai-results.ts';
import type * as Telemetry from '../src/instrumentation/telemetry.ts';
import type * as Catalog from '../src/pricing/catalog.ts';
import { bursarClient, newClient, otelProviders, plainCall, streamCall } from './instrumentation.bench.ts';

/**
 * A fixed number of calls for an instruction count (`valgrind --tool=cachegrind
 * --cache-sim=no`): deterministic where timings on a shared machine are not. Run it
 * with n and with 0 calls; the difference over n is the count per call.
 *
 *   valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
 *     node bench/profile-count.ts plain|stream|telemetry bare|bursar n [dir]
 *
 * `telemetry` runs only bursar's start + end of a call (span, metrics, priced record)
 * in a loop, without the SDK call around it.
 */
const [kind = 'plain', variant = 'bursar', n = '1000', dir] = process.argv.slice(2);
const otel = await otelProviders();
// PROVIDERS=noop | tracer | meter: as in profile-instrumentation.ts, to split the count.
const { metrics, trace } = await import('@opentelemetry/api');
const which = process.env.PROVIDERS ?? 'sdk';
if (which === 'noop' || which === 'meter') otel.tracerProvider = trace.getTracerProvider() as never;
if (which === 'noop' || which === 'tracer') otel.meterProvider = metrics.getMeterProvider() as never;
if (kind === 'telemetry') {
  // Only bursar's start + end of a call (span, metrics, record), no SDK call around it.
  const src = dir ?? new URL('../src/', import.meta.url).href;
  const load = (p: string) => import(new URL(`${p}.ts`, src.endsWith('/') ? src : `${src}/`).href);
  const { GenAiTelemetry } = (await load('instrumentation/telemetry')) as typeof Telemetry;
  const { PriceCatalog } = (await load('pricing/catalog')) as typeof Catalog;
  const { chatCompletionResult } = (await load('instrumentation/providers/openai-results')) as typeof Results;
  const t = new GenAiTelemetry(new PriceCatalog(), otel);
  const body = JSON.parse(
    '{"id":"c","model":"gpt-4o-mini-2024-07-18","choices":[{"finish_reason":"stop"}],"usage":{"prompt_tokens":1200,"completion_tokens":300,"total_tokens":1500,"prompt_tokens_details":{"cached_tokens":1024},"completion_tokens_details":{"reasoning_tokens":128}}}',
  );
  const one = () =>
    t
      .start({
        provider: 'openai',
        operation: 'chat',
        model: 'gpt-4o-mini',
        stream: false,
        serverAddress: 'api.openai.com',
        serverPort: 443,
        params: { maxTokens: 64 },
      })
      .end(chatCompletionResult(body));
  for (let i = 0; i < 200; i++) one();
  for (let i = 0; i < Number(n); i++) {
    one();
    if (i % 100 === 0) await new Promise((r) => setImmediate(r)); // let the span processor run
  }
} else {
  const c: OpenAI = variant === 'bare' ? newClient() : await bursarClient(otel, dir);
  const call = kind === 'plain' ? plainCall : streamCall;
  // Until the JIT has compiled the hot paths (WARM= to change).
  const warm = Number(process.env.WARM ?? (kind === 'plain' ? 2000 : 300));
  for (let i = 0; i < warm; i++) await call(c);
  for (let i = 0; i < Number(n); i++) await call(c);
}
