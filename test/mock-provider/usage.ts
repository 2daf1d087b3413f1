// Default token counts the mock provider reports, one wire-format object per API family.
//
// Every number is distinct and non-zero (apart from fields the provider reports as 0 today), so a
// consumer that reads the wrong field, double-counts cache tokens, or sums cumulative stream counts
// produces a value that cannot be mistaken for the right one. Tests assert against these constants.
//
// The shapes are typed with the SDKs' own usage types so a field-name mistake fails `tsc`.
import type { Usage as AnthropicUsage } from '@anthropic-ai/sdk/resources/messages';
import type { GenerateContentResponseUsageMetadata, UsageMetadata } from '@google/genai';
import type { CompletionUsage } from 'openai/resources/completions';
import type { CreateEmbeddingResponse } from 'openai/resources/embeddings';
import type { ResponseUsage } from 'openai/resources/responses/responses';

/** OpenAI chat.completions: prompt includes cached; completion includes reasoning. */
export const DEFAULT_OPENAI_CHAT_USAGE = {
  prompt_tokens: 1200,
  completion_tokens: 300,
  total_tokens: 1500,
  prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
  completion_tokens_details: {
    reasoning_tokens: 128,
    audio_tokens: 0,
    accepted_prediction_tokens: 0,
    rejected_prediction_tokens: 0,
  },
} as const satisfies CompletionUsage;

/** OpenAI responses: same inclusion rules as chat, different field names. */
export const DEFAULT_OPENAI_RESPONSES_USAGE = {
  input_tokens: 2048,
  // This SDK's typing makes cache_write_tokens required; kept 0 so no inclusion rule is implied.
  input_tokens_details: { cached_tokens: 1536, cache_write_tokens: 0 },
  output_tokens: 512,
  output_tokens_details: { reasoning_tokens: 256 },
  total_tokens: 2560,
} as const satisfies ResponseUsage;

/** OpenAI embeddings report only prompt and total. */
export const DEFAULT_OPENAI_EMBEDDINGS_USAGE = {
  prompt_tokens: 37,
  total_tokens: 37,
} as const satisfies CreateEmbeddingResponse.Usage;

/**
 * Anthropic messages: `input_tokens` EXCLUDES cache reads and writes, so the semconv input count is
 * 50 + 2000 + 300 = 2350. `output_tokens` includes `thinking_tokens`.
 */
export const DEFAULT_ANTHROPIC_USAGE = {
  input_tokens: 50,
  cache_read_input_tokens: 2000,
  cache_creation_input_tokens: 300,
  cache_creation: { ephemeral_5m_input_tokens: 200, ephemeral_1h_input_tokens: 100 },
  output_tokens: 420,
  output_tokens_details: { thinking_tokens: 150 },
  server_tool_use: null,
  service_tier: 'standard',
  inference_geo: null,
  speed: null,
} as const satisfies AnthropicUsage;

/**
 * The output count the mock puts in the first (interim) `message_delta` of an Anthropic stream.
 * Counts are cumulative: a consumer that sums deltas reports 10 + 420; one that keeps the last, 420.
 */
export const ANTHROPIC_INTERIM_OUTPUT_TOKENS = 10;

/** `message_start.message.usage.output_tokens`, as Anthropic sends it before any text. */
export const ANTHROPIC_START_OUTPUT_TOKENS = 1;

/** Anthropic `POST /v1/messages/count_tokens`. */
export const DEFAULT_ANTHROPIC_COUNT_TOKENS = 2345;

/**
 * Gemini generateContent: prompt includes cached; thoughts are NOT in candidates;
 * total = prompt + candidates + thoughts (+ toolUsePrompt when present).
 */
export const DEFAULT_GEMINI_USAGE = {
  promptTokenCount: 900,
  cachedContentTokenCount: 600,
  candidatesTokenCount: 210,
  thoughtsTokenCount: 90,
  totalTokenCount: 1200,
} as const satisfies GenerateContentResponseUsageMetadata;

/**
 * Gemini embeddings (`batchEmbedContents` / `embedContent`). The SDK's EmbedContentResponse carries
 * an optional `usageMetadata`; the mock fills it so a consumer can be tested on it.
 */
export const DEFAULT_GEMINI_EMBED_USAGE = {
  promptTokenCount: 41,
  totalTokenCount: 41,
} as const satisfies UsageMetadata;

/** Gemini `:countTokens`. */
export const DEFAULT_GEMINI_COUNT_TOKENS = { totalTokens: 873, cachedContentTokenCount: 600 } as const;

export type AnthropicMessageUsage = AnthropicUsage;
export type GeminiUsage = GenerateContentResponseUsageMetadata;

/** The usage numbers one mock provider reports; each entry is replaced whole when overridden. */
export interface MockUsage {
  openaiChat: CompletionUsage;
  openaiResponses: ResponseUsage;
  openaiEmbeddings: CreateEmbeddingResponse.Usage;
  anthropic: AnthropicUsage;
  anthropicCountTokens: number;
  gemini: GenerateContentResponseUsageMetadata;
  geminiEmbed: UsageMetadata;
  geminiCountTokens: { totalTokens: number; cachedContentTokenCount?: number };
}

export const DEFAULT_USAGE: Readonly<MockUsage> = Object.freeze({
  openaiChat: DEFAULT_OPENAI_CHAT_USAGE,
  openaiResponses: DEFAULT_OPENAI_RESPONSES_USAGE,
  openaiEmbeddings: DEFAULT_OPENAI_EMBEDDINGS_USAGE,
  anthropic: DEFAULT_ANTHROPIC_USAGE,
  anthropicCountTokens: DEFAULT_ANTHROPIC_COUNT_TOKENS,
  gemini: DEFAULT_GEMINI_USAGE,
  geminiEmbed: DEFAULT_GEMINI_EMBED_USAGE,
  geminiCountTokens: DEFAULT_GEMINI_COUNT_TOKENS,
});
