// The real @google/genai (3.1) against the mock provider: generateContent, generateContentStream,
// embedContent, countTokens, on the Gemini API paths and the Vertex paths.
import { ApiError, type GenerateContentResponse } from '@google/genai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { geminiUsageAt } from './gemini.ts';
import { startMockProvider, type MockProvider } from './mock-provider.ts';
import { drain, geminiClient, geminiScenario, settled, vertexClient } from './sdk-clients.ts';
import { mockText } from './text.ts';
import { DEFAULT_GEMINI_COUNT_TOKENS, DEFAULT_GEMINI_EMBED_USAGE, DEFAULT_GEMINI_USAGE } from './usage.ts';

let mock: MockProvider;
beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(async () => {
  await mock.close();
});
beforeEach(() => mock.reset());

const model = 'gemini-3.5-flash';

function joined(chunks: GenerateContentResponse[]): string {
  return chunks.map((c) => c.text ?? '').join('');
}

describe('gemini generateContent', () => {
  it('plain: text and usageMetadata as configured; path /v1/models/{model}:generateContent', async () => {
    const res = await geminiClient(mock).models.generateContent({ model, contents: 'hi' });
    expect(res.text).toBe(mockText(5));
    expect(res.usageMetadata).toEqual(DEFAULT_GEMINI_USAGE);
    expect(mock.requests[0]).toMatchObject({
      path: `/v1/models/${model}:generateContent`,
      route: 'gemini.generateContent',
    });
    expect(mock.requests[0]?.headers['x-goog-api-key']).toBe('gemini-mock');
  });

  it('stream: every chunk carries cumulative usageMetadata; the last equals the configured usage', async () => {
    const stream = await geminiClient(mock).models.generateContentStream({ model, contents: 'hi' });
    const { items, error } = await drain(stream);
    expect(error).toBeUndefined();
    expect(joined(items)).toBe(mockText(5));
    expect(items.map((c) => c.usageMetadata)).toEqual(
      items.map((_, i) => geminiUsageAt(DEFAULT_GEMINI_USAGE, i, 5)),
    );
    expect(items.at(-1)?.usageMetadata).toEqual(DEFAULT_GEMINI_USAGE);
    // Summing the chunks would over-count: the counts are running totals.
    const summed = items.reduce((n, c) => n + (c.usageMetadata?.candidatesTokenCount ?? 0), 0);
    expect(summed).toBeGreaterThan(DEFAULT_GEMINI_USAGE.candidatesTokenCount);
    expect(mock.requests[0]?.path).toBe(`/v1/models/${model}:streamGenerateContent?alt=sse`);
  });

  it('per-request headers via config.httpOptions.headers reach the server (chunk count 50)', async () => {
    const stream = await geminiClient(mock).models.generateContentStream({
      model,
      contents: 'hi',
      config: geminiScenario('ok', 50),
    });
    const { items } = await drain(stream);
    expect(items).toHaveLength(50);
    expect(items.at(-1)?.usageMetadata).toEqual(DEFAULT_GEMINI_USAGE);
    expect(mock.requests[0]?.headers['x-mock-chunks']).toBe('50');
  });

  it('truncate: iteration throws TypeError "terminated"; chunks before it carry partial usage', async () => {
    const stream = await geminiClient(mock).models.generateContentStream({
      model,
      contents: 'hi',
      config: geminiScenario('truncate'),
    });
    const { items, error } = await drain(stream);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe('terminated');
    expect(joined(items)).toBe(mockText(2));
    expect(items.at(-1)?.usageMetadata).toEqual(geminiUsageAt(DEFAULT_GEMINI_USAGE, 1, 5));
    await settled(mock);
    expect(mock.requests[0]?.outcome).toBe('truncated');
  });

  it('stream-error: an error chunk surfaces as ApiError with its code', async () => {
    const stream = await geminiClient(mock).models.generateContentStream({
      model,
      contents: 'hi',
      config: geminiScenario('stream-error'),
    });
    const { items, error } = await drain(stream);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(503);
    expect(items).toHaveLength(2);
  });

  it('no-usage: no usageMetadata on plain or streamed responses', async () => {
    const client = geminiClient(mock);
    const plain = await client.models.generateContent({
      model,
      contents: 'hi',
      config: geminiScenario('no-usage'),
    });
    expect(plain.usageMetadata).toBeUndefined();
    const { items } = await drain(
      await client.models.generateContentStream({
        model,
        contents: 'hi',
        config: geminiScenario('no-usage'),
      }),
    );
    expect(items.every((c) => c.usageMetadata === undefined)).toBe(true);
  });

  it('slow + abortSignal: iteration throws an AbortError; break does NOT cancel the HTTP response', async () => {
    mock.settings.slowDelayMs = 20;
    const controller = new AbortController();
    const stream = await geminiClient(mock).models.generateContentStream({
      model,
      contents: 'hi',
      config: { ...geminiScenario('slow'), abortSignal: controller.signal },
    });
    let seen = 0;
    const error = await (async () => {
      for await (const _chunk of stream) if (++seen === 2) controller.abort();
    })().catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
    await settled(mock, 0);
    expect(mock.requests[0]?.outcome).toBe('client-closed');

    // genai releases the body reader on `break` without cancelling it: the server writes every chunk.
    const again = await geminiClient(mock).models.generateContentStream({
      model,
      contents: 'hi',
      config: geminiScenario('slow'),
    });
    for await (const _chunk of again) break;
    await settled(mock, 1);
    expect(mock.requests[1]).toMatchObject({ outcome: 'completed', framesSent: 5 });
  });
});

describe('gemini embedContent and countTokens', () => {
  it('embedContent calls :batchEmbedContents on the Gemini API; usageMetadata passes through', async () => {
    const res = await geminiClient(mock).models.embedContent({
      model: 'gemini-embedding-001',
      contents: ['a', 'b'],
    });
    expect(mock.requests[0]?.path).toBe('/v1/models/gemini-embedding-001:batchEmbedContents');
    expect(mock.requests[0]?.body).toMatchObject({
      requests: [{ model: 'models/gemini-embedding-001' }, {}],
    });
    expect(res.embeddings?.map((e) => e.values)).toEqual([
      [0.25, 0.5, 0.75],
      [1.25, 1.5, 1.75],
    ]);
    expect(res.usageMetadata).toEqual(DEFAULT_GEMINI_EMBED_USAGE);
  });

  it('embedContent under no-usage has no usageMetadata', async () => {
    const res = await geminiClient(mock).models.embedContent({
      model: 'gemini-embedding-001',
      contents: 'a',
      config: geminiScenario('no-usage'),
    });
    expect(res.usageMetadata).toBeUndefined();
  });

  it('countTokens returns totalTokens and cachedContentTokenCount', async () => {
    const res = await geminiClient(mock).models.countTokens({ model, contents: 'hi' });
    expect(res.totalTokens).toBe(DEFAULT_GEMINI_COUNT_TOKENS.totalTokens);
    expect(res.cachedContentTokenCount).toBe(DEFAULT_GEMINI_COUNT_TOKENS.cachedContentTokenCount);
    expect(mock.requests[0]?.route).toBe('gemini.countTokens');
  });
});

describe('gemini on Vertex paths', () => {
  const prefix = '/v1beta1/projects/mock-project/locations/us-central1/publishers/google/models';

  it('generateContent, stream, embedContent and countTokens use project/location paths', async () => {
    const client = vertexClient(mock);
    const plain = await client.models.generateContent({ model, contents: 'hi' });
    expect(plain.usageMetadata).toEqual(DEFAULT_GEMINI_USAGE);
    const { items } = await drain(await client.models.generateContentStream({ model, contents: 'hi' }));
    expect(items.at(-1)?.usageMetadata).toEqual(DEFAULT_GEMINI_USAGE);
    // Vertex uses :embedContent for gemini embedding models other than gemini-embedding-001.
    const emb = await client.models.embedContent({ model: 'gemini-embedding-2', contents: 'a' });
    expect(emb.usageMetadata).toMatchObject(DEFAULT_GEMINI_EMBED_USAGE);
    const count = await client.models.countTokens({ model, contents: 'hi' });
    expect(count.totalTokens).toBe(DEFAULT_GEMINI_COUNT_TOKENS.totalTokens);

    expect(mock.requests.map((r) => r.path)).toEqual([
      `${prefix}/${model}:generateContent`,
      `${prefix}/${model}:streamGenerateContent?alt=sse`,
      `${prefix}/gemini-embedding-2:embedContent`,
      `${prefix}/${model}:countTokens`,
    ]);
    expect(mock.requests[0]?.headers['authorization']).toBe('Bearer mock-token');
  });
});

describe('gemini errors', () => {
  it.each([
    ['error-400', 400],
    ['error-429', 429],
    ['error-500', 500],
  ] as const)('%s: every operation rejects with ApiError and the status', async (s, status) => {
    const client = geminiClient(mock);
    const config = geminiScenario(s);
    const calls = [
      () => client.models.generateContent({ model, contents: 'hi', config }),
      () => client.models.generateContentStream({ model, contents: 'hi', config }),
      () => client.models.embedContent({ model: 'gemini-embedding-001', contents: 'a', config }),
      () => client.models.countTokens({ model, contents: 'hi', config }),
    ];
    for (const call of calls) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).status).toBe(status);
      // The whole Google error body is in the message, e.g. "status":"RESOURCE_EXHAUSTED".
      expect(JSON.parse((error as ApiError).message)).toMatchObject({ error: { code: status } });
    }
    // No retryOptions: genai does not retry, one request per call.
    expect(mock.requests).toHaveLength(calls.length);
  });
});
