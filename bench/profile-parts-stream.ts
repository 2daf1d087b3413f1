import { observeIterator } from '../src/instrumentation/stream-observer.ts';
import { ChatStreamState } from '../src/instrumentation/providers/openai-results.ts';
import { GenAiTelemetry } from '../src/instrumentation/telemetry.ts';
import { PriceCatalog } from '../src/pricing/catalog.ts';
import { otelProviders } from './instrumentation.bench.ts';

/**
 * What bursar adds per streamed chunk, without the SDK's SSE parsing around it: 50
 * chunks and a usage chunk from an async generator, read bare and through the stream
 * observer (ChatStreamState + CallTracker.chunk, as the OpenAI adapter wires them).
 *
 *   node bench/profile-parts-stream.ts
 */
const otel = await otelProviders();
const t = new GenAiTelemetry(new PriceCatalog(), {
  tracerProvider: otel.tracerProvider,
  meterProvider: otel.meterProvider,
});
const usage = { prompt_tokens: 1200, completion_tokens: 300, total_tokens: 1500 };
const chunks = [
  ...Array.from({ length: 50 }, (_, i) => ({
    id: 'c',
    model: 'gpt-4o-mini-2024-07-18',
    choices: [{ index: 0, delta: { content: 'tok ' }, finish_reason: i === 49 ? 'stop' : null }],
  })),
  { id: 'c', model: 'gpt-4o-mini-2024-07-18', choices: [], usage },
];
async function* source() {
  for (const c of chunks) yield c;
}
const req = { provider: 'openai', operation: 'chat' as const, model: 'gpt-4o-mini', stream: true };
const bare = async () => {
  for await (const _ of source());
};
const observed = async () => {
  const call = t.start(req);
  const chat = new ChatStreamState();
  const it = observeIterator(source(), {
    item(v) {
      call.chunk();
      return !chat.add(v) || true;
    },
    end(error) {
      call.end(chat.result, error);
    },
  });
  for await (const _ of { [Symbol.asyncIterator]: () => it });
};
const startEnd = async () => {
  t.start(req).end(undefined);
};
for (let rep = 0; rep < 5; rep++) {
  const res: Record<string, number> = {};
  for (const [name, fn] of Object.entries({ bare, observed, startEnd })) {
    const N = 3000;
    for (let i = 0; i < 300; i++) await fn();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await fn();
    res[name] = Number(process.hrtime.bigint() - t0) / N;
  }
  console.log(
    `bare ${(res.bare! / 1e3).toFixed(2)} µs; observed +${((res.observed! - res.bare!) / 1e3).toFixed(2)} µs per stream; start+end ${(res.startEnd! / 1e3).toFixed(2)} µs; per chunk net of start+end ${((res.observed! - res.bare! - res.startEnd!) / 51).toFixed(0)} ns`,
  );
}
