import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import * as genai from '@google/genai';
import { type CallableTool, GoogleGenAI } from '@google/genai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { instrumentGeminiClient, patchGeminiModule } from '../../src/instrumentation/providers/gemini.ts';
import { GenAiTelemetry } from '../../src/instrumentation/telemetry.ts';
import { PriceCatalog } from '../../src/pricing/catalog.ts';
import type { PricedRecord } from '../../src/usage/usage-record.ts';
import {
  DEFAULT_GEMINI_EMBED_USAGE as EMBED,
  DEFAULT_GEMINI_USAGE as USAGE,
  drain,
  geminiClient,
  geminiScenario,
  geminiUsageAt,
  type MockProvider,
  settled,
  startMockProvider,
  vertexClient,
} from '../mock-provider/index.ts';
import { histogramCount, histogramSum, otelHarness } from '../helpers/otel.ts';

let mock: MockProvider;
const h = otelHarness();
let client: GoogleGenAI;
const model = 'gemini-2.5-flash';

beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(async () => mock.close());
beforeEach(() => {
  h.reset();
  mock.reset();
  client = instrumentGeminiClient(geminiClient(mock), h.telemetry);
});

type Raw = {
  promptTokenCount?: number;
  cachedContentTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
};
/** The semconv counts of a usageMetadata, worked out here rather than by the code under test. */
const semconv = (u: Raw) => ({
  input: u.promptTokenCount ?? 0,
  output: (u.candidatesTokenCount ?? 0) + (u.thoughtsTokenCount ?? 0),
  cacheRead: u.cachedContentTokenCount ?? 0,
  cacheWrite: 0,
  cacheWrite1h: 0,
  reasoning: u.thoughtsTokenCount ?? 0,
});
const full = { input: 900, output: 300, cacheRead: 600, cacheWrite: 0, cacheWrite1h: 0, reasoning: 90 };

async function onlySpan() {
  const spans = await h.finishedSpans();
  expect(spans).toHaveLength(1);
  return spans[0]!;
}

describe('gemini generateContent', () => {
  it('plain: span, usage attributes, metrics, one priced record', async () => {
    const r = await client.models.generateContent({
      model,
      contents: 'hi',
      config: { maxOutputTokens: 64, temperature: 0.2, topK: 40 },
    });
    expect(r.usageMetadata).toEqual(USAGE);
    const span = await onlySpan();
    expect(span.name).toBe(`generate_content ${model}`);
    expect(span.kind).toBe(2); // CLIENT
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.provider.name': 'gcp.gemini',
      'gen_ai.request.model': model,
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.top_k': 40,
      'gen_ai.usage.input_tokens': 900,
      'gen_ai.usage.output_tokens': 300,
      'gen_ai.usage.cache_read.input_tokens': 600,
      'gen_ai.usage.reasoning.output_tokens': 90,
      'gen_ai.response.id': r.responseId,
      'gen_ai.response.model': model,
      'gen_ai.response.finish_reasons': ['STOP'],
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(mock.geminiBaseUrl).port),
    });
    expect(h.records).toHaveLength(1);
    const rec = h.records[0]!;
    expect(rec).toMatchObject({ provider: 'gcp.gemini', usage: full, usageSource: 'provider' });
    // gemini-2.5-flash: $0.30 input, $0.03 cached input, $2.50 output per 1M tokens.
    // (900 - 600) × 0.30 + 600 × 0.03 + (210 + 90) × 2.50 = 90 + 18 + 750 µUSD = 858 µUSD.
    expect(rec.cost.unpriced).toBe(false);
    expect(rec.cost.nanoUsd).toBe(858_000);
    const m = await h.metrics();
    expect(histogramSum(m.get('gen_ai.client.token.usage'), { 'gen_ai.token.type': 'input' })).toBe(900);
    expect(histogramSum(m.get('gen_ai.client.token.usage'), { 'gen_ai.token.type': 'output' })).toBe(300);
    expect(histogramCount(m.get('gen_ai.client.operation.duration'))).toBe(1);
  });

  it('a models/ model name is reported as given and still priced', async () => {
    await client.models.generateContent({ model: `models/${model}`, contents: 'hi' });
    expect((await onlySpan()).attributes['gen_ai.request.model']).toBe(`models/${model}`);
    expect(h.records[0]!.cost.nanoUsd).toBe(858_000);
  });

  it('errors: 429 and 500 set error.type and end the span with no usage', async () => {
    for (const [scenario, status] of [
      ['error-429', '429'],
      ['error-500', '500'],
    ] as const) {
      await expect(
        client.models.generateContent({ model, contents: 'hi', config: geminiScenario(scenario) }),
      ).rejects.toThrow();
      expect(h.records.at(-1)).toMatchObject({ errorType: status, usageSource: 'missing' });
    }
    const spans = await h.finishedSpans();
    expect(spans.map((s) => [s.attributes['error.type'], s.status.code])).toEqual([
      ['429', 2],
      ['500', 2],
    ]);
  });

  it('no usage: recorded as missing (never estimated); onMissingUsage "throw" throws', async () => {
    await client.models.generateContent({ model, contents: 'hi', config: geminiScenario('no-usage') });
    expect(h.records[0]!.usageSource).toBe('missing');
    const strict = new GenAiTelemetry(new PriceCatalog(), { onMissingUsage: 'throw' });
    const seen: PricedRecord[] = [];
    strict.onRecord((r) => seen.push(r));
    const other = instrumentGeminiClient(geminiClient(mock), strict);
    await expect(
      other.models.generateContent({ model, contents: 'hi', config: geminiScenario('no-usage') }),
    ).rejects.toThrow(/returned no usage/);
    expect(seen).toHaveLength(1);
  });

  it('countTokens is not recorded', async () => {
    const n = await client.models.countTokens({ model, contents: 'hi' });
    expect(n.totalTokens).toBeGreaterThan(0);
    expect(await h.finishedSpans()).toHaveLength(0);
    expect(h.records).toHaveLength(0);
  });

  it('a call another layer marked (suppressed tracing) is not recorded again', async () => {
    await context.with(suppressTracing(context.active()), () =>
      client.models.generateContent({ model, contents: 'hi' }),
    );
    expect(h.records).toHaveLength(0);
  });
});

describe('gemini generateContentStream', () => {
  it('the last chunk’s usage is recorded, not the sum', async () => {
    const stream = await client.models.generateContentStream({ model, contents: 'hi' });
    const { items, error } = await drain(stream);
    expect(error).toBeUndefined();
    expect(items).toHaveLength(5);
    expect(items.at(-1)!.usageMetadata).toEqual(USAGE);
    expect(h.records).toHaveLength(1);
    expect(h.records[0]!.usage).toEqual(full);
    // The chunks carry running totals: their sum would be well above the real output.
    const summed = items.reduce((n, c) => n + (c.usageMetadata?.candidatesTokenCount ?? 0), 0);
    expect(summed).toBeGreaterThan(USAGE.candidatesTokenCount);
    const span = await onlySpan();
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.usage.output_tokens': 300,
      'gen_ai.response.finish_reasons': ['STOP'],
    });
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
  });

  it('the caller still gets the SDK’s kind of stream: next() and return() by hand', async () => {
    // Without automatic continuation the SDK hands out the per-request stream itself.
    const config = { automaticContinuation: false };
    const plain = await geminiClient(mock).models.generateContentStream({ model, contents: 'hi', config });
    await drain(plain);
    const stream = await client.models.generateContentStream({ model, contents: 'hi', config });
    expect(Object.getPrototypeOf(stream)).toBe(Object.getPrototypeOf(plain));
    expect(Object.prototype.toString.call(stream)).toBe(Object.prototype.toString.call(plain));
    expect(stream[Symbol.asyncIterator]()).toBe(stream);
    const first = await stream.next();
    expect(first.done).toBe(false);
    expect(h.records).toHaveLength(0);
    expect(await stream.return(undefined)).toEqual({ done: true, value: undefined });
    expect(h.records).toHaveLength(1);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it('broken early: the span ends at the break with the usage of the last chunk seen', async () => {
    mock.settings.slowDelayMs = 40;
    const stream = await client.models.generateContentStream({
      model,
      contents: 'hi',
      config: geminiScenario('slow'),
    });
    let n = 0;
    for await (const _ of stream) if (++n === 2) break;
    // genai keeps reading the body after a break; the call is already counted.
    expect(mock.requests[0]!.outcome).toBe('pending');
    expect(await h.finishedSpans()).toHaveLength(1);
    expect(h.records).toHaveLength(1);
    expect(h.records[0]!.usage).toEqual(semconv(geminiUsageAt(USAGE, 1, 5)));
    expect(h.records[0]!.errorType).toBeUndefined();
    await settled(mock);
    expect(h.records).toHaveLength(1);
  });

  it('aborted: recorded as cancelled with the usage seen so far', async () => {
    mock.settings.slowDelayMs = 20;
    const ac = new AbortController();
    const stream = await client.models.generateContentStream({
      model,
      contents: 'hi',
      config: { ...geminiScenario('slow'), abortSignal: ac.signal },
    });
    let n = 0;
    const error = await (async () => {
      for await (const _ of stream) if (++n === 2) ac.abort();
    })().catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
    expect((await onlySpan()).attributes['error.type']).toBe('cancelled');
    expect(h.records[0]).toMatchObject({
      errorType: 'cancelled',
      usage: semconv(geminiUsageAt(USAGE, 1, 5)),
    });
  });

  it('429 when opening the stream: the error is recorded', async () => {
    await expect(
      client.models.generateContentStream({ model, contents: 'hi', config: geminiScenario('error-429') }),
    ).rejects.toThrow();
    expect((await onlySpan()).attributes['error.type']).toBe('429');
    expect(h.records).toHaveLength(1);
  });

  it('truncated: TypeError recorded, partial usage kept', async () => {
    const stream = await client.models.generateContentStream({
      model,
      contents: 'hi',
      config: geminiScenario('truncate'),
    });
    const { items, error } = await drain(stream);
    expect((error as Error).message).toBe('terminated');
    expect((await onlySpan()).attributes['error.type']).toBe('TypeError');
    expect(h.records).toHaveLength(1);
    expect(h.records[0]!.usage).toEqual(semconv(items.at(-1)!.usageMetadata!));
  });

  it('in-stream error: the ApiError status is the error.type', async () => {
    const stream = await client.models.generateContentStream({
      model,
      contents: 'hi',
      config: geminiScenario('stream-error'),
    });
    const { items, error } = await drain(stream);
    expect(error).toBeInstanceOf(genai.ApiError);
    expect(items).toHaveLength(2);
    expect((await onlySpan()).attributes['error.type']).toBe('503');
    expect(h.records[0]!.usage).toEqual(semconv(geminiUsageAt(USAGE, 1, 5)));
  });
});

describe('gemini embedContent, Vertex, chats', () => {
  it('embedContent: embeddings span, input-only usage, priced', async () => {
    await client.models.embedContent({ model: 'gemini-embedding-001', contents: ['a', 'b'] });
    const span = await onlySpan();
    expect(span.name).toBe('embeddings gemini-embedding-001');
    expect(span.attributes['gen_ai.operation.name']).toBe('embeddings');
    expect(h.records[0]!.usage).toMatchObject({ input: EMBED.promptTokenCount, output: 0 });
    // gemini-embedding-001: $0.15 per 1M input tokens × 41 = 6.15 µUSD.
    expect(h.records[0]!.cost.nanoUsd).toBe(6_150);
  });

  it('a Vertex client reports gcp.vertex_ai (plain, stream, embeddings)', async () => {
    const vertex = instrumentGeminiClient(vertexClient(mock), h.telemetry);
    await vertex.models.generateContent({ model, contents: 'hi' });
    await drain(await vertex.models.generateContentStream({ model, contents: 'hi' }));
    await vertex.models.embedContent({ model: 'gemini-embedding-2', contents: 'a' });
    expect(h.records.map((r) => [r.provider, r.operation, r.usage.input])).toEqual([
      ['gcp.vertex_ai', 'generate_content', 900],
      ['gcp.vertex_ai', 'generate_content', 900],
      ['gcp.vertex_ai', 'embeddings', EMBED.promptTokenCount],
    ]);
    expect(h.records[0]!.cost.unpriced).toBe(false);
  });

  it('chats: sendMessage and sendMessageStream are recorded', async () => {
    const chat = client.chats.create({ model });
    const reply = await chat.sendMessage({ message: 'hi' });
    expect(reply.usageMetadata).toEqual(USAGE);
    const { error } = await drain(await chat.sendMessageStream({ message: 'again' }));
    expect(error).toBeUndefined();
    expect(h.records.map((r) => r.usage)).toEqual([full, full]);
  });
});

/** A client whose first response is rewritten by `first` (the rest come from the mock as sent). */
function rewritingClient(first: (body: Record<string, unknown>) => void): GoogleGenAI {
  let n = 0;
  const fetchFn = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const res = await fetch(input, init);
    if (n++ > 0) return res;
    const body = (await res.json()) as Record<string, unknown>;
    first(body);
    return new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
  };
  return new GoogleGenAI({
    apiKey: 'gemini-mock',
    httpOptions: { baseUrl: mock.geminiBaseUrl, fetch: fetchFn },
  });
}

describe('gemini calls that make several HTTP requests', () => {
  const smaller = { ...USAGE, candidatesTokenCount: 20, totalTokenCount: 1010 };

  it('automatic function calling: one record per request, each with its own usage', async () => {
    const afc = instrumentGeminiClient(
      rewritingClient((body) => {
        const [c] = body.candidates as Record<string, unknown>[];
        c!.content = { role: 'model', parts: [{ functionCall: { name: 'lookup', args: {} } }] };
        body.usageMetadata = smaller;
      }),
      h.telemetry,
    );
    const tool: CallableTool = {
      tool: async () => ({ functionDeclarations: [{ name: 'lookup', description: 'looks up' }] }),
      callTool: async () => [{ functionResponse: { name: 'lookup', response: { ok: true } } }],
    };
    const r = await afc.models.generateContent({ model, contents: 'hi', config: { tools: [tool] } });
    expect(mock.requests).toHaveLength(2);
    // The SDK returns the last response only: its usage alone would under-count the call.
    expect(r.usageMetadata).toEqual(USAGE);
    expect(h.records.map((rec) => rec.usage)).toEqual([semconv(smaller), full]);
  });

  it('automatic continuation: each hop is its own record (the SDK returns them merged)', async () => {
    const resumed = instrumentGeminiClient(
      rewritingClient((body) => {
        const [c] = body.candidates as Record<string, unknown>[];
        delete c!.finishReason;
        c!.continuationToken = 'checkpoint-1';
        body.usageMetadata = smaller;
      }),
      h.telemetry,
    );
    const r = await resumed.models.generateContent({ model, contents: 'hi' });
    expect(mock.requests).toHaveLength(2);
    expect(r.usageMetadata?.candidatesTokenCount).toBe(20 + 210);
    expect(h.records.map((rec) => rec.usage)).toEqual([semconv(smaller), full]);
  });
});

describe('gemini module patching', () => {
  it('module + instance patching give one record per call; undo restores the SDK', async () => {
    const undo = patchGeminiModule(genai, h.telemetry);
    try {
      const plain = geminiClient(mock);
      await plain.models.generateContent({ model, contents: 'hi' });
      instrumentGeminiClient(plain, h.telemetry);
      await plain.models.generateContent({ model, contents: 'hi' });
      await drain(await plain.models.generateContentStream({ model, contents: 'hi' }));
      // Instance patched before the module: still one record.
      await client.models.generateContent({ model, contents: 'hi' });
      expect(h.records).toHaveLength(4);
    } finally {
      undo();
    }
    await geminiClient(mock).models.generateContent({ model, contents: 'hi' });
    expect(h.records).toHaveLength(4);
    expect(mock.requests).toHaveLength(5);
  });
});
