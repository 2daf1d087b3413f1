// Gemini: `POST /{version}/models/{model}:{method}`, plus the Vertex shapes
// `/{version}/publishers/google/models/{model}:{method}` (Vertex express, API key) and
// `/{version}/projects/{p}/locations/{l}/publishers/google/models/{model}:{method}`.
//
// @google/genai 3.1 uses `v1` for the Gemini API and `v1beta1` for Vertex; it sends
// `:streamGenerateContent?alt=sse`, and on the Gemini API its `models.embedContent` calls
// `:batchEmbedContents` (Vertex: `:embedContent` for gemini models, `:predict` otherwise — the mock
// answers `:embedContent` only). Every stream chunk carries usageMetadata with the counts SO FAR
// (cumulative): prompt and thoughts are fixed, candidates grow to the final value on the last chunk.
import { GEMINI_STREAM_ERROR } from './errors.ts';
import { geminiFrame } from './sse.ts';
import { mockText, mockTextChunks } from './text.ts';
import type { HandlerContext, Reply, Route } from './types.ts';
import type { GeminiUsage } from './usage.ts';

export const GEMINI_PATH =
  /^\/(?<version>v[\w.]+)\/(?:projects\/(?<project>[^/]+)\/locations\/(?<location>[^/]+)\/)?(?:publishers\/google\/)?models\/(?<model>[^/:]+):(?<method>generateContent|streamGenerateContent|embedContent|batchEmbedContents|countTokens)$/;

function totalOf(u: GeminiUsage): number {
  return (
    (u.promptTokenCount ?? 0) +
    (u.candidatesTokenCount ?? 0) +
    (u.thoughtsTokenCount ?? 0) +
    (u.toolUsePromptTokenCount ?? 0)
  );
}

/** Usage after chunk i of n: candidates scale up and reach the configured value on the last chunk. */
export function geminiUsageAt(u: GeminiUsage, i: number, n: number): GeminiUsage {
  if (i >= n - 1) return u;
  const candidates = Math.floor(((u.candidatesTokenCount ?? 0) * (i + 1)) / n);
  const partial = { ...u, candidatesTokenCount: candidates };
  return { ...partial, totalTokenCount: totalOf(partial) };
}

function candidate(text: string, finished: boolean) {
  return {
    content: { parts: [{ text }], role: 'model' },
    ...(finished ? { finishReason: 'STOP' } : {}),
    index: 0,
  };
}

function responseBase(ctx: HandlerContext) {
  return { modelVersion: ctx.params['model'] ?? 'gemini', responseId: `mock-${ctx.seq}` };
}

function generate(ctx: HandlerContext): Reply {
  const body: Record<string, unknown> = {
    candidates: [candidate(mockText(ctx.chunks), true)],
    ...responseBase(ctx),
  };
  if (ctx.scenario !== 'no-usage') body['usageMetadata'] = ctx.usage.gemini;
  return { kind: 'json', status: 200, body };
}

function streamGenerate(ctx: HandlerContext): Reply {
  const texts = mockTextChunks(ctx.chunks);
  const frames = texts.map((text, i) => {
    const chunk: Record<string, unknown> = {
      candidates: [candidate(text, i === texts.length - 1)],
      ...responseBase(ctx),
    };
    if (ctx.scenario !== 'no-usage')
      chunk['usageMetadata'] = geminiUsageAt(ctx.usage.gemini, i, texts.length);
    return geminiFrame(chunk);
  });
  const shown = Math.min(ctx.settings.truncateAfterChunks, texts.length);
  if (ctx.scenario === 'stream-error') {
    return { kind: 'sse', frames: [...frames.slice(0, shown), geminiFrame(GEMINI_STREAM_ERROR)] };
  }
  // There is no terminal event: a cut stream looks complete except for the final chunk's counts.
  return { kind: 'sse', frames, cutAfter: ctx.scenario === 'truncate' ? shown : undefined };
}

function embedValues(index: number): number[] {
  return [0.25 + index, 0.5 + index, 0.75 + index];
}

function batchEmbed(ctx: HandlerContext): Reply {
  const requests = Array.isArray(ctx.body['requests']) ? ctx.body['requests'] : [];
  const body: Record<string, unknown> = {
    embeddings: requests.map((_, i) => ({ values: embedValues(i) })),
  };
  if (ctx.scenario !== 'no-usage') body['usageMetadata'] = ctx.usage.geminiEmbed;
  return { kind: 'json', status: 200, body };
}

function embed(ctx: HandlerContext): Reply {
  const body: Record<string, unknown> = { embedding: { values: embedValues(0) } };
  if (ctx.scenario !== 'no-usage') body['usageMetadata'] = ctx.usage.geminiEmbed;
  return { kind: 'json', status: 200, body };
}

function handle(ctx: HandlerContext): Reply {
  switch (ctx.params['method']) {
    case 'streamGenerateContent':
      return streamGenerate(ctx);
    case 'embedContent':
      return embed(ctx);
    case 'batchEmbedContents':
      return batchEmbed(ctx);
    case 'countTokens':
      return { kind: 'json', status: 200, body: ctx.usage.geminiCountTokens };
    default:
      return generate(ctx);
  }
}

export const geminiRoute: Route = {
  name: (params) => `gemini.${params['method']}`,
  family: 'gemini',
  method: 'POST',
  pattern: GEMINI_PATH,
  handle,
};
