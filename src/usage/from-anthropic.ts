import { z } from 'zod';
import { fastSchema } from '../validation/fast-schema.ts';
import { assertConsistent, type TokenUsage, tokenCount } from './token-usage.ts';

// Anthropic's `input_tokens` EXCLUDES cache reads and cache writes, so the semconv
// input is input + cache_read + cache_creation (FIELD-NOTES §1). Counting only
// `input_tokens` under-reports input; adding cache writes again on top of a total
// that already holds them double-charges them. Both mistakes are common.

const count = tokenCount.nullish();

const anthropicUsageSchema = z.looseObject({
  input_tokens: count,
  output_tokens: count,
  cache_creation_input_tokens: count,
  cache_read_input_tokens: count,
  cache_creation: z
    .looseObject({ ephemeral_5m_input_tokens: count, ephemeral_1h_input_tokens: count })
    .nullish(),
  // Thinking tokens are part of output_tokens (the SDK documents thinking_tokens ≤ output_tokens).
  output_tokens_details: z.looseObject({ thinking_tokens: count }).nullish(),
});
// Compiled fast path for valid usage (every response has one); zod still words the errors.
const anthropicUsageFast = fastSchema(anthropicUsageSchema, 'Anthropic usage');

/**
 * `message.usage` of a Messages response. For streams, merge `message_start.message.usage`
 * with the LAST `message_delta.usage` (its counts are cumulative: take the last, never sum)
 * before converting — see `mergeAnthropicStreamUsage`.
 */
export function fromAnthropicUsage(raw: unknown): TokenUsage {
  const u = anthropicUsageFast.parse(raw);
  const cacheRead = u.cache_read_input_tokens ?? 0;
  const cacheWrite = u.cache_creation_input_tokens ?? 0;
  return assertConsistent(
    {
      input: (u.input_tokens ?? 0) + cacheRead + cacheWrite,
      output: u.output_tokens ?? 0,
      cacheRead,
      cacheWrite,
      cacheWrite1h: u.cache_creation?.ephemeral_1h_input_tokens ?? 0,
      reasoning: u.output_tokens_details?.thinking_tokens ?? 0,
    },
    'Anthropic usage',
  );
}

type RawUsage = Record<string, unknown>;

/**
 * Streaming usage: `message_start` carries input and cache counts (output is a
 * placeholder), each `message_delta` carries cumulative counts. A field present in
 * the latest delta replaces the earlier value; nothing is ever added up.
 */
export function mergeAnthropicStreamUsage(
  start: RawUsage | undefined,
  lastDelta: RawUsage | undefined,
): RawUsage {
  const merged: RawUsage = { ...(start ?? {}) };
  if (lastDelta) {
    for (const [key, value] of Object.entries(lastDelta)) {
      if (value !== null && value !== undefined) merged[key] = value;
    }
  }
  return merged;
}
