import { z } from 'zod';
import { fastSchema } from '../validation/fast-schema.ts';
import { assertConsistent, type TokenUsage, tokenCount } from './token-usage.ts';

// OpenAI reports prompt tokens *including* cached ones and completion tokens
// *including* reasoning ones: the same inclusion rules as semconv, so the
// mapping is one to one (FIELD-NOTES §1).

const count = tokenCount.nullish();

const chatUsageSchema = z.looseObject({
  prompt_tokens: count,
  completion_tokens: count,
  total_tokens: count,
  prompt_tokens_details: z.looseObject({ cached_tokens: count }).nullish(),
  completion_tokens_details: z.looseObject({ reasoning_tokens: count }).nullish(),
});
// Compiled fast path for valid usage (every response has one); zod still words the errors.
const chatUsageFast = fastSchema(chatUsageSchema, 'OpenAI chat usage');

const responsesUsageSchema = z.looseObject({
  input_tokens: count,
  output_tokens: count,
  total_tokens: count,
  input_tokens_details: z.looseObject({ cached_tokens: count }).nullish(),
  output_tokens_details: z.looseObject({ reasoning_tokens: count }).nullish(),
});
const responsesUsageFast = fastSchema(responsesUsageSchema, 'OpenAI responses usage');

const embeddingsUsageSchema = z.looseObject({ prompt_tokens: count, total_tokens: count });
const embeddingsUsageFast = fastSchema(embeddingsUsageSchema, 'OpenAI embeddings usage');

/** `usage` of a chat.completions response (or the final usage chunk of a stream). */
export function fromOpenAIChatUsage(raw: unknown): TokenUsage {
  const u = chatUsageFast.parse(raw);
  return assertConsistent(
    {
      input: u.prompt_tokens ?? 0,
      output: u.completion_tokens ?? 0,
      cacheRead: u.prompt_tokens_details?.cached_tokens ?? 0,
      cacheWrite: 0,
      cacheWrite1h: 0,
      reasoning: u.completion_tokens_details?.reasoning_tokens ?? 0,
    },
    'OpenAI chat usage',
  );
}

/** `usage` of a responses API response (streams: `response.completed` → `response.usage`). */
export function fromOpenAIResponsesUsage(raw: unknown): TokenUsage {
  const u = responsesUsageFast.parse(raw);
  return assertConsistent(
    {
      input: u.input_tokens ?? 0,
      output: u.output_tokens ?? 0,
      cacheRead: u.input_tokens_details?.cached_tokens ?? 0,
      cacheWrite: 0,
      cacheWrite1h: 0,
      reasoning: u.output_tokens_details?.reasoning_tokens ?? 0,
    },
    'OpenAI responses usage',
  );
}

/** `usage` of an embeddings response: input only. */
export function fromOpenAIEmbeddingsUsage(raw: unknown): TokenUsage {
  const u = embeddingsUsageFast.parse(raw);
  return {
    input: u.prompt_tokens ?? 0,
    output: 0,
    cacheRead: 0,
    cacheWrite: 0,
    cacheWrite1h: 0,
    reasoning: 0,
  };
}
