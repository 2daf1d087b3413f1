import Anthropic, { APIUserAbortError } from '@anthropic-ai/sdk';
import * as AnthropicNamespace from '@anthropic-ai/sdk';
import { context, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MissingUsageError } from '../../src/instrumentation/call.ts';
import {
  instrumentAnthropicClient,
  patchAnthropicModule,
} from '../../src/instrumentation/providers/anthropic.ts';
import { withBudgetScope } from '../../src/instrumentation/scope.ts';
import {
  ANTHROPIC_INTERIM_OUTPUT_TOKENS,
  ANTHROPIC_START_OUTPUT_TOKENS,
  anthropicClient,
  DEFAULT_ANTHROPIC_USAGE as U,
  drain,
  type MockProvider,
  mockText,
  settled,
  startMockProvider,
  withScenario,
} from '../mock-provider/index.ts';
import { histogramSum, otelHarness } from '../helpers/otel.ts';

let mock: MockProvider;
const h = otelHarness();
let client: Anthropic;

beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(async () => mock.close());
beforeEach(() => {
  h.reset();
  mock.reset();
  client = instrumentAnthropicClient(anthropicClient(mock), h.telemetry);
});

// Priced in the catalog; the SDK warns on every call to a deprecated model such as claude-sonnet-4-5.
const model = 'claude-sonnet-4-6';
const body = { model, max_tokens: 1024, messages: [{ role: 'user' as const, content: 'hi' }] };
// Anthropic's input_tokens excludes cache tokens: semconv input = 50 + 2000 + 300.
const INPUT = U.input_tokens + U.cache_read_input_tokens + U.cache_creation_input_tokens;
const fullUsage = {
  input: INPUT,
  output: U.output_tokens,
  cacheRead: U.cache_read_input_tokens,
  cacheWrite: U.cache_creation_input_tokens,
  cacheWrite1h: U.cache_creation.ephemeral_1h_input_tokens,
  reasoning: U.output_tokens_details.thinking_tokens,
};
/** What a stream cut before any message_delta leaves: message_start's counts. */
// Thinking tokens arrive with the final message_delta: none are known before it.
const startUsage = { ...fullUsage, output: ANTHROPIC_START_OUTPUT_TOKENS, reasoning: 0 };

async function onlySpan() {
  const spans = await h.finishedSpans();
  expect(spans).toHaveLength(1);
  return spans[0]!;
}

/** Token-usage histogram sums so far (metrics are cumulative across the file's tests). */
async function tokenSums() {
  const usage = (await h.metrics()).get('gen_ai.client.token.usage');
  return {
    input: histogramSum(usage, { 'gen_ai.token.type': 'input' }),
    output: histogramSum(usage, { 'gen_ai.token.type': 'output' }),
  };
}

describe('anthropic messages.create', () => {
  it('plain: span, usage attributes (input includes cache), metrics and one priced record', async () => {
    const before = await tokenSums();
    const msg = await withBudgetScope({ tenant: 'acme', agent: 'planner' }, () =>
      client.messages.create({ ...body, stop_sequences: ['END'] }),
    );
    expect(msg.usage.input_tokens).toBe(U.input_tokens); // the caller's Message is untouched
    const span = await onlySpan();
    expect(span.name).toBe(`chat ${model}`);
    expect(span.kind).toBe(2); // CLIENT
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': model,
      'gen_ai.request.max_tokens': 1024,
      'gen_ai.request.stop_sequences': ['END'],
      'gen_ai.response.id': msg.id,
      'gen_ai.response.model': model,
      'gen_ai.response.finish_reasons': ['end_turn'],
      'gen_ai.usage.input_tokens': 2350,
      'gen_ai.usage.output_tokens': 420,
      'gen_ai.usage.cache_read.input_tokens': 2000,
      'gen_ai.usage.cache_creation.input_tokens': 300,
      'gen_ai.agent.name': 'planner',
      'bursar.scope.tenant': 'acme',
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(mock.anthropicBaseURL).port),
    });
    expect(h.records).toHaveLength(1);
    const record = h.records[0]!;
    expect(record).toMatchObject({ provider: 'anthropic', usage: fullUsage, usageSource: 'provider' });
    // claude-sonnet-4-6, USD per 1M tokens: input 3, 5-minute cache write 3.75, 1-hour
    // cache write 6, cache read 0.30, output 15 (1 USD/1M tokens = 1,000 nano-USD per token):
    //   uncached input 50 × 3,000    =   150,000
    //   cache read   2000 × 300      =   600,000
    //   5m writes     200 × 3,750    =   750,000
    //   1h writes     100 × 6,000    =   600,000
    //   output        420 × 15,000   = 6,300,000
    //                          total = 8,400,000 nano-USD ($0.0084)
    expect(record.cost.unpriced).toBe(false);
    expect(record.cost.nanoUsd).toBe(8_400_000);
    expect(span.attributes['bursar.cost.usd']).toBeCloseTo(0.0084, 12);
    const after = await tokenSums();
    expect(after.input - before.input).toBe(2350);
    expect(after.output - before.output).toBe(420);
  });

  it('keeps APIPromise helpers: withResponse() records from the parse, once', async () => {
    const { data, response } = await client.messages.create(body).withResponse();
    expect(response.status).toBe(200);
    expect(data.usage.output_tokens).toBe(420);
    expect(h.records).toHaveLength(1);
    expect(h.records[0]!.usage).toEqual(fullUsage);
  });

  it('asResponse(): the body stays the caller’s; the call is still recorded, from a copy', async () => {
    const response = await client.messages.create(body).asResponse();
    const json = (await response.json()) as { usage: unknown };
    expect(json.usage).toEqual(U);
    await h.finishedSpans();
    expect(h.records).toHaveLength(1);
    expect(h.records[0]!.usage).toEqual(fullUsage);
  });

  it('asResponse() of a stream: the raw events are the caller’s; recorded with usage missing', async () => {
    const response = await client.messages.create({ ...body, stream: true }).asResponse();
    expect(await response.text()).toContain('message_stop');
    expect(h.records).toHaveLength(1);
    expect(h.records[0]!.usageSource).toBe('missing');
  });

  it('parse() goes through create and is counted once', async () => {
    const parsed = await client.messages.parse(body);
    expect(parsed.content[0]).toMatchObject({ type: 'text' });
    expect(h.records.map((r) => r.usage)).toEqual([fullUsage]);
  });
});

describe('anthropic streams', () => {
  it('create({ stream: true }): every event delivered; output is the LAST cumulative count (420, not 431)', async () => {
    const before = await tokenSums();
    const { items, error } = await drain(await client.messages.create({ ...body, stream: true }));
    expect(error).toBeUndefined();
    expect(items.map((e) => e.type)).toContain('message_stop');
    expect(items.filter((e) => e.type === 'message_delta')).toHaveLength(2);
    expect(h.records).toHaveLength(1);
    expect(h.records[0]).toMatchObject({ usage: fullUsage, usageSource: 'provider' });
    expect(h.records[0]!.usage.output).not.toBe(
      ANTHROPIC_START_OUTPUT_TOKENS + ANTHROPIC_INTERIM_OUTPUT_TOKENS + U.output_tokens,
    );
    const span = await onlySpan();
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.finish_reasons': ['end_turn'],
      'gen_ai.response.model': model,
      'gen_ai.usage.output_tokens': 420,
    });
    expect(span.attributes['gen_ai.response.id']).toMatch(/^msg_mock_/);
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    const after = await tokenSums();
    expect(after.output - before.output).toBe(420);
  });

  it('messages.stream(): finalMessage(), text events and currentMessage work; recorded once', async () => {
    const stream = client.messages.stream(body);
    const texts: string[] = [];
    const snapshotIds = new Set<string | undefined>();
    stream.on('text', (t) => texts.push(t));
    stream.on('streamEvent', () => snapshotIds.add(stream.currentMessage?.id));
    const final = await stream.finalMessage();
    expect(texts.join('')).toBe(mockText(5));
    expect(final.usage.output_tokens).toBe(420);
    expect(snapshotIds).toContain(final.id); // cleared again at message_stop
    expect(h.records).toHaveLength(1);
    expect(h.records[0]!.usage).toEqual(fullUsage);
    expect((await onlySpan()).attributes['gen_ai.response.id']).toBe(final.id);
  });

  it('broken right after message_start: input and cache counts recorded, output the placeholder', async () => {
    const stream = await client.messages.create({ ...body, stream: true });
    for await (const event of stream) if (event.type === 'message_start') break;
    expect(h.records).toHaveLength(1);
    expect(h.records[0]).toMatchObject({ usage: startUsage, usageSource: 'provider' });
    expect((await onlySpan()).attributes['error.type']).toBeUndefined();
    expect(h.records[0]!.cost.nanoUsd).toBeGreaterThan(0); // input spend is never lost
  });

  it('broken at the first message_delta: output is that (interim) count, input kept', async () => {
    const stream = await client.messages.create({ ...body, stream: true });
    for await (const event of stream) if (event.type === 'message_delta') break;
    expect(h.records[0]!.usage).toEqual({ ...startUsage, output: ANTHROPIC_INTERIM_OUTPUT_TOKENS });
  });

  it('tee(): both branches read, the call is counted once', async () => {
    const [a, b] = (await client.messages.create({ ...body, stream: true })).tee();
    const [ra, rb] = await Promise.all([drain(a), drain(b)]);
    expect(ra.items).toHaveLength(rb.items.length);
    expect(h.records).toHaveLength(1);
    expect(h.records[0]!.usage).toEqual(fullUsage);
  });

  it('aborted raw stream (ends quietly): recorded as cancelled, with what arrived', async () => {
    const ac = new AbortController();
    const stream = await client.messages.create(
      { ...body, stream: true },
      { ...withScenario('slow'), signal: ac.signal },
    );
    let n = 0;
    for await (const _ of stream) if (++n === 3) ac.abort();
    await settled(mock);
    expect((await onlySpan()).attributes['error.type']).toBe('cancelled');
    expect(h.records).toHaveLength(1);
    expect(h.records[0]).toMatchObject({ errorType: 'cancelled', usage: { input: INPUT } });
  });

  it('messages.stream().abort(): APIUserAbortError for the caller, one cancelled record', async () => {
    const stream = client.messages.stream(body, withScenario('slow'));
    let events = 0;
    stream.on('streamEvent', () => {
      if (++events === 3) stream.abort();
    });
    await expect(stream.finalMessage()).rejects.toBeInstanceOf(APIUserAbortError);
    await settled(mock);
    expect(h.records).toHaveLength(1);
    expect(h.records[0]).toMatchObject({ errorType: 'cancelled', usage: { input: INPUT } });
  });

  it('truncated stream: TypeError "terminated" recorded, message_start usage kept', async () => {
    const stream = await client.messages.create({ ...body, stream: true }, withScenario('truncate'));
    const { error } = await drain(stream);
    expect((error as Error).message).toBe('terminated');
    const span = await onlySpan();
    expect(span.attributes['error.type']).toBe('TypeError');
    expect(span.status.code).toBe(2);
    expect(h.records[0]).toMatchObject({ errorType: 'TypeError', usage: startUsage });

    h.reset();
    await expect(client.messages.stream(body, withScenario('truncate')).finalMessage()).rejects.toThrow(
      'terminated',
    );
    expect(h.records).toHaveLength(1);
    expect(h.records[0]).toMatchObject({ errorType: 'TypeError', usage: startUsage });
  });

  it('in-stream error event (overloaded_error after the 200): error recorded, input kept', async () => {
    const stream = await client.messages.create({ ...body, stream: true }, withScenario('stream-error'));
    const { error } = await drain(stream);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    // The SDK raises a plain APIError with no status for in-stream errors; its class name is the type.
    expect(h.records[0]).toMatchObject({ errorType: 'APIError', usage: startUsage });
    expect((await onlySpan()).status.code).toBe(2);
  });
});

describe('anthropic errors and missing usage', () => {
  it.each([
    ['plain', () => client.messages.create(body, withScenario('error-429'))],
    ['stream', () => client.messages.create({ ...body, stream: true }, withScenario('error-429'))],
    ['helper', () => client.messages.stream(body, withScenario('error-429')).finalMessage()],
  ])('429 (%s): error.type and one record with usage missing', async (_, call) => {
    await expect(call()).rejects.toThrow();
    const span = await onlySpan();
    expect(span.attributes['error.type']).toBe('429');
    expect(span.status.code).toBe(2);
    expect(h.records).toHaveLength(1);
    expect(h.records[0]).toMatchObject({ errorType: '429', usageSource: 'missing' });
  });

  it('no usage in the response: recorded as missing, plain and streamed', async () => {
    await client.messages.create(body, withScenario('no-usage'));
    await drain(await client.messages.create({ ...body, stream: true }, withScenario('no-usage')));
    expect(h.records.map((r) => r.usageSource)).toEqual(['missing', 'missing']);
  });

  it("onMissingUsage 'throw': a response without usage rejects with MissingUsageError", async () => {
    const strict = otelHarness({ onMissingUsage: 'throw' });
    const c = instrumentAnthropicClient(anthropicClient(mock), strict.telemetry);
    await expect(c.messages.create(body, withScenario('no-usage'))).rejects.toBeInstanceOf(MissingUsageError);
    expect(strict.records).toHaveLength(1);
  });

  it('countTokens is an estimate, not spend: no record, no span', async () => {
    const res = await client.messages.countTokens({ model, messages: body.messages });
    expect(res.input_tokens).toBeGreaterThan(0);
    expect(h.records).toHaveLength(0);
    expect(await h.finishedSpans()).toHaveLength(0);
  });
});

describe('anthropic patching', () => {
  it('patchAnthropicModule + instrumentAnthropicClient on one client: one record; undo restores', async () => {
    const undo = patchAnthropicModule(Anthropic, h.telemetry);
    try {
      const plain = instrumentAnthropicClient(anthropicClient(mock), h.telemetry);
      await plain.messages.create(body);
      await plain.messages.stream(body).finalMessage();
      expect(h.records).toHaveLength(2);
    } finally {
      undo();
    }
    await anthropicClient(mock).messages.create(body);
    expect(h.records).toHaveLength(2);
  });

  it('finds Messages in the ESM namespace and in a { default: { Anthropic } } shape', async () => {
    for (const mod of [AnthropicNamespace, { default: { Anthropic } }, { default: Anthropic }]) {
      h.reset();
      const undo = patchAnthropicModule(mod, h.telemetry);
      try {
        await anthropicClient(mock).messages.create(body);
      } finally {
        undo();
      }
      expect(h.records).toHaveLength(1);
    }
    expect(() => patchAnthropicModule({}, h.telemetry)).toThrow(/no Messages class/);
  });

  it('the provider is the one the client declares (platform clients override it), or the option', async () => {
    const bedrockLike = anthropicClient(mock);
    // The SDK's clients for other platforms set this field; it names their spans' provider too.
    (bedrockLike as unknown as { _genAIProviderName: string })._genAIProviderName = 'aws.bedrock';
    await instrumentAnthropicClient(bedrockLike, h.telemetry).messages.create(body);
    const named = instrumentAnthropicClient(anthropicClient(mock), h.telemetry, { provider: 'my-gateway' });
    await named.messages.create(body);
    expect(h.records.map((r) => r.provider)).toEqual(['aws.bedrock', 'my-gateway']);
  });
});

describe("the SDK's own OpenTelemetry spans", () => {
  it('with no global tracer provider (as here) the SDK records nothing and sends no traceparent', async () => {
    expect(client.openTelemetry.traces.enabled).toBe(true); // on by default
    await client.messages.create(body);
    expect((await h.finishedSpans()).map((s) => s.name)).toEqual([`chat ${model}`]);
    expect(mock.requests[0]!.headers['traceparent']).toBeUndefined();
  });

  it('given a tracer provider, the SDK adds a second span that carries the usage too', async () => {
    const tracerProvider = h.telemetry.settings.tracerProvider!;
    const traced = instrumentAnthropicClient(
      new Anthropic({
        apiKey: 'sk-ant-mock',
        baseURL: mock.anthropicBaseURL,
        maxRetries: 0,
        openTelemetry: { tracerProvider },
      }),
      h.telemetry,
    );
    const app = tracerProvider.getTracer('app').startSpan('app');
    const underApp = <T>(fn: () => Promise<T>) => context.with(trace.setSpan(context.active(), app), fn);
    const id = (s: { spanContext(): { spanId: string } }) => s.spanContext().spanId;
    const pair = async () => {
      const spans = await h.finishedSpans();
      expect(spans.map((s) => s.name).sort()).toEqual(['anthropic.messages.create', `chat ${model}`]);
      return {
        ours: spans.find((s) => s.name === `chat ${model}`)!,
        sdk: spans.find((s) => s.name === 'anthropic.messages.create')!,
      };
    };

    // create(): our span is active while the SDK starts its own, so the SDK's is our child.
    await underApp(() => traced.messages.create(body));
    const created = await pair();
    expect(created.ours.parentSpanContext?.spanId).toBe(id(app));
    expect(created.sdk.parentSpanContext?.spanId).toBe(id(created.ours));
    // Both spans carry gen_ai.usage.* (the SDK names cache writes cache_write, not
    // cache_creation): whoever ingests spans must count only one of them.
    expect(created.sdk.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.usage.input_tokens': 2350,
      'gen_ai.usage.output_tokens': 420,
      'gen_ai.usage.cache_write.input_tokens': 300,
      'gen_ai.usage.reasoning.output_tokens': U.output_tokens_details.thinking_tokens,
    });
    expect(h.records).toHaveLength(1);

    // stream(): the SDK's MessageStream starts its span before it calls create, so the two
    // spans are siblings under the caller's span.
    h.reset();
    await underApp(() => traced.messages.stream(body).finalMessage());
    const streamed = await pair();
    expect(streamed.ours.parentSpanContext?.spanId).toBe(id(app));
    expect(streamed.sdk.parentSpanContext?.spanId).toBe(id(app));
    expect(streamed.sdk.attributes['gen_ai.usage.input_tokens']).toBe(2350);
    expect(h.records).toHaveLength(1);
    app.end();
  });
});
