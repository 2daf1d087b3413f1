import { z } from 'zod';
import { fastSchema } from '../validation/fast-schema.ts';
import { assertConsistent, type TokenUsage, tokenCount } from './token-usage.ts';

// Gemini's promptTokenCount already includes cached tokens, but thoughtsTokenCount is
// NOT part of candidatesTokenCount: semconv output = candidates + thoughts
// (FIELD-NOTES §1). toolUsePromptTokenCount is billed as input and is outside
// promptTokenCount (totalTokenCount = prompt + toolUsePrompt + candidates + thoughts).
// In a stream every chunk may carry usageMetadata: keep the LAST one.

const count = tokenCount.nullish();

const geminiUsageSchema = z.looseObject({
  promptTokenCount: count,
  candidatesTokenCount: count,
  cachedContentTokenCount: count,
  thoughtsTokenCount: count,
  toolUsePromptTokenCount: count,
  totalTokenCount: count,
});
// Compiled fast path for valid usage (every response has one); zod still words the errors.
const geminiUsageFast = fastSchema(geminiUsageSchema, 'Gemini usageMetadata');

/** `response.usageMetadata` of generateContent / the last stream chunk / embedContent. */
export function fromGeminiUsage(raw: unknown): TokenUsage {
  const u = geminiUsageFast.parse(raw);
  const thoughts = u.thoughtsTokenCount ?? 0;
  const input = (u.promptTokenCount ?? 0) + (u.toolUsePromptTokenCount ?? 0);
  return assertConsistent(
    {
      input,
      output: (u.candidatesTokenCount ?? 0) + thoughts,
      cacheRead: u.cachedContentTokenCount ?? 0,
      cacheWrite: 0,
      cacheWrite1h: 0,
      reasoning: thoughts,
    },
    'Gemini usageMetadata',
  );
}
