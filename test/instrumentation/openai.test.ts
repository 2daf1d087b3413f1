import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { instrumentOpenAIClient, patchOpenAIModule } from '../../src/instrumentation/providers/openai.ts';
import { withBudgetScope } from '../../src/instrumentation/scope.ts';
import {
  DEFAULT_OPENAI_CHAT_USAGE as CHAT,
  DEFAULT_OPENAI_EMBEDDINGS_USAGE as EMB,
  DEFAULT_OPENAI_RESPONSES_USAGE as RESP,
  type MockProvider,
  openaiClient,
  startMockProvider,
  withScenario,
} from '../mock-provider/index.ts';
import { histogramCount, histogramSum, otelHarness } from '../helpers/otel.ts';

let mock: MockProvider;
const h = otelHarness();
let client: OpenAI;

beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(async () => mock.close());
beforeEach(() => {
  h.reset();
  mock.reset();
  client = instrumentOpenAIClient(openaiClient(mock), h.telemetry);
});

const chatUsage = {
  input: CHAT.prompt_tokens,
  output: CHAT.completion_tokens,
  cacheRead: CHAT.prompt_tokens_details.cached_tokens,
  cacheWrite: 0,
  cacheWrite1h: 0,
  reasoning: CHAT.completion_tokens_details.reasoning_tokens,
};
const messages = [{ role: 'user' as const, content: 'hi' }];

async function onlySpan() {
  const spans = await h.finishedSpans();
  expect(spans).toHaveLength(1);
  return spans[0]!;
}

describe('openai chat.completions', () => {
  it('plain: span, usage attributes, metrics and one usage record', async () => {
    const r = await withBudgetScope({ tenant: 'acme', agent: 'planner', session: 's1' }, () =>
      client.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 64, temperature: 0.2 }),
    );
    expect(r.usage?.prompt_tokens).toBe(CHAT.prompt_tokens);
    const span = await onlySpan();
    expect(span.name).toBe('chat gpt-4o-mini');
    expect(span.kind).toBe(2); // CLIENT
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 300,
      'gen_ai.usage.cache_read.input_tokens': 1024,
      'gen_ai.usage.reasoning.output_tokens': 128,
      'gen_ai.agent.name': 'planner',
      'gen_ai.conversation.id': 's1',
      'bursar.scope.tenant': 'acme',
      'server.address': '127.0.0.1',
    });
    expect(span.attributes['gen_ai.response.id']).toBe(r.id);
    expect(span.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
    expect(h.records).toHaveLength(1);
    expect(h.records[0]).toMatchObject({
      usage: chatUsage,
      usageSource: 'provider',
      scope: { tenant: 'acme' },
    });
    expect(h.records[0]!.cost.unpriced).toBe(false);
    const m = await h.metrics();
    expect(histogramSum(m.get('gen_ai.client.token.usage'), { 'gen_ai.token.type': 'input' })).toBe(1200);
    expect(histogramSum(m.get('gen_ai.client.token.usage'), { 'gen_ai.token.type': 'output' })).toBe(300);
    expect(histogramCount(m.get('gen_ai.client.operation.duration'))).toBe(1);
  });

  it('asResponse(): the body stays the caller’s, the call is recorded from a copy', async () => {
    const response = await client.chat.completions.create({ model: 'gpt-4o-mini', messages }).asResponse();
    const json = (await response.json()) as { usage: { prompt_tokens: number } };
    expect(json.usage.prompt_tokens).toBe(1200);
    // The copy is read in the background: wait until it has been.
    await vi.waitFor(() => expect(h.records).toHaveLength(1));
    expect(h.records[0]!.usage).toEqual(chatUsage);
  });

  it('keeps APIPromise helpers: withResponse() and asResponse()', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages })
      .withResponse();
    expect(response.status).toBe(200);
    expect(data.usage?.completion_tokens).toBe(300);
    expect(h.records).toHaveLength(1);
  });

  it('returns the SDK’s own APIPromise; a promise derived from it records the call, once', async () => {
    const bare = openaiClient(mock).chat.completions.create({ model: 'gpt-4o-mini', messages });
    const p = client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(p.constructor).toBe(bare.constructor);
    await bare;
    // _thenUnwrap is what the SDK's own helpers (parse(), the stream helpers) chain on.
    expect(await p._thenUnwrap((c) => c.usage?.prompt_tokens)).toBe(1200);
    expect(h.records).toHaveLength(1);
    expect(h.records[0]!.usage).toEqual(chatUsage);
    expect(await h.finishedSpans()).toHaveLength(1);
  });

  it('stream without include_usage: usage is asked for, counted, and the extra chunk hidden', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks.every((c) => c.choices.length > 0)).toBe(true);
    expect(mock.requests.at(-1)!.body).toMatchObject({ stream_options: { include_usage: true } });
    expect(h.records[0]).toMatchObject({ usage: chatUsage, usageSource: 'provider' });
    expect((await onlySpan()).attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
  });

  it('stream with include_usage asked by the caller: the usage chunk is delivered', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks.at(-1)!.usage?.total_tokens).toBe(CHAT.total_tokens);
    expect(h.records[0]!.usage).toEqual(chatUsage);
  });

  it('stream broken early: span ends once, the call is recorded (usage missing, never estimated)', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    for await (const _ of stream) break;
    expect((await onlySpan()).attributes['bursar.usage.source']).toBe('missing');
    expect(h.records).toHaveLength(1);
    expect(h.records[0]!.usageSource).toBe('missing');
    const m = await h.metrics();
    expect(m.get('bursar.client.usage.missing')?.dataPoints[0]?.value).toBe(1);
  });

  it('aborted stream: recorded as cancelled', async () => {
    const ac = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'gpt-4o-mini', messages, stream: true },
      { ...withScenario('slow'), signal: ac.signal },
    );
    let n = 0;
    try {
      for await (const _ of stream) {
        n += 1;
        if (n === 1) ac.abort();
      }
    } catch {
      // openai ends an aborted stream quietly; either way the call must be recorded
    }
    expect((await onlySpan()).attributes['error.type']).toBe('cancelled');
    expect(h.records).toHaveLength(1);
  });

  it('tee(): both branches read, the call is counted once', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const [a, b] = stream.tee();
    const read = async (s: typeof a) => {
      let n = 0;
      for await (const _ of s) n += 1;
      return n;
    };
    const [na, nb] = await Promise.all([read(a), read(b)]);
    expect(na).toBe(nb);
    expect(h.records).toHaveLength(1);
    expect(h.records[0]!.usage).toEqual(chatUsage);
  });

  it('errors: 429 sets error.type and ends the span', async () => {
    await expect(
      client.chat.completions.create({ model: 'gpt-4o-mini', messages }, withScenario('error-429')),
    ).rejects.toThrow();
    const span = await onlySpan();
    expect(span.attributes['error.type']).toBe('429');
    expect(span.status.code).toBe(2);
    expect(h.records[0]).toMatchObject({ errorType: '429', usageSource: 'missing' });
  });

  it('truncated stream: the error is recorded, the span ends', async () => {
    const stream = await client.chat.completions.create(
      { model: 'gpt-4o-mini', messages, stream: true },
      withScenario('truncate'),
    );
    await expect(
      (async () => {
        for await (const _ of stream) {
          // drain
        }
      })(),
    ).rejects.toThrow();
    expect((await onlySpan()).attributes['error.type']).toBeDefined();
    expect(h.records).toHaveLength(1);
  });

  it('the SDK helpers (parse, stream) go through create and are counted once', async () => {
    await client.chat.completions.parse({ model: 'gpt-4o-mini', messages });
    const s = client.chat.completions.stream({ model: 'gpt-4o-mini', messages });
    await s.finalChatCompletion();
    expect(h.records.map((r) => r.usage.input)).toEqual([1200, 1200]);
  });

  it('a call another layer marked (suppressed tracing) is not recorded again', async () => {
    await context.with(suppressTracing(context.active()), () =>
      client.chat.completions.create({ model: 'gpt-4o-mini', messages }),
    );
    expect(h.records).toHaveLength(0);
  });
});

describe('openai responses and embeddings', () => {
  const respUsage = {
    input: RESP.input_tokens,
    output: RESP.output_tokens,
    cacheRead: RESP.input_tokens_details.cached_tokens,
    cacheWrite: 0,
    cacheWrite1h: 0,
    reasoning: RESP.output_tokens_details.reasoning_tokens,
  };

  it('responses.create plain and stream, and the responses.stream() helper', async () => {
    await client.responses.create({ model: 'gpt-5', input: 'hi' });
    const stream = await client.responses.create({ model: 'gpt-5', input: 'hi', stream: true });
    for await (const _ of stream) {
      // drain
    }
    const helper = client.responses.stream({ model: 'gpt-5', input: 'hi' });
    const final = await helper.finalResponse();
    expect(final.usage?.input_tokens).toBe(RESP.input_tokens);
    expect(h.records.map((r) => r.usage)).toEqual([respUsage, respUsage, respUsage]);
    expect((await h.finishedSpans()).map((s) => s.name)).toEqual(['chat gpt-5', 'chat gpt-5', 'chat gpt-5']);
  });

  it('embeddings', async () => {
    await client.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
    expect((await onlySpan()).name).toBe('embeddings text-embedding-3-small');
    expect(h.records[0]!.usage).toMatchObject({ input: EMB.prompt_tokens, output: 0 });
  });
});

describe('openai module patching', () => {
  it('patches the prototypes once; instrument() on a patched client adds no second record', async () => {
    const undo = patchOpenAIModule(OpenAI, h.telemetry);
    try {
      const plain = openaiClient(mock);
      instrumentOpenAIClient(plain, h.telemetry);
      await plain.chat.completions.create({ model: 'gpt-4o-mini', messages });
      expect(h.records).toHaveLength(1);
    } finally {
      undo();
    }
    const after = openaiClient(mock);
    await after.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(h.records).toHaveLength(1);
  });
});
