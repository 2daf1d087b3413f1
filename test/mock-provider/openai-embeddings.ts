// OpenAI `POST /v1/embeddings`: usage has only prompt_tokens and total_tokens.
import { modelOf } from './text.ts';
import type { HandlerContext, Reply, Route } from './types.ts';

/** Float32 little-endian bytes, base64: what the API returns for `encoding_format: 'base64'`. */
function base64Floats(values: number[]): string {
  return Buffer.from(new Float32Array(values).buffer).toString('base64');
}

/** A small deterministic vector per input, so tests can check which input came back where. */
export function mockEmbedding(index: number, dims = 4): number[] {
  return Array.from({ length: dims }, (_, d) => (index + 1) / 8 + d / 16);
}

function embeddings(ctx: HandlerContext): Reply {
  const input = ctx.body['input'];
  // A string or one token array is one input; an array of strings or of token arrays is several.
  const count = Array.isArray(input) && !input.every((x) => typeof x === 'number') ? input.length : 1;
  // openai 7 sends encoding_format 'base64' unless the caller chose one, and decodes it itself.
  const base64 = ctx.body['encoding_format'] === 'base64';
  const body: Record<string, unknown> = {
    object: 'list',
    data: Array.from({ length: count }, (_, index) => ({
      object: 'embedding',
      index,
      embedding: base64 ? base64Floats(mockEmbedding(index)) : mockEmbedding(index),
    })),
    model: modelOf(ctx, 'text-embedding-3-small'),
  };
  if (ctx.scenario !== 'no-usage') body['usage'] = ctx.usage.openaiEmbeddings;
  return { kind: 'json', status: 200, body };
}

export const openaiEmbeddingsRoute: Route = {
  name: 'openai.embeddings',
  family: 'openai',
  method: 'POST',
  pattern: /^\/v1\/embeddings$/,
  handle: embeddings,
};
