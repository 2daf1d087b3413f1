import type { ModelPrice } from '../price.ts';
import { priceList } from './build.ts';

/**
 * Gemini Developer API list prices (paid tier, text/image/video input), USD per 1M tokens.
 * Thinking tokens are billed as output, so no entry prices reasoning apart; `cacheRead` is the
 * context-caching (cached input) price. Pro models bill a prompt above 200K tokens at their
 * long-context rates for the whole request. Vertex AI calls (gcp.vertex_ai) fall back to these
 * list prices unless a custom Vertex entry exists.
 *
 * effectiveFrom is the release date where known; where it was not confirmed it is the date the
 * price was read (records older than a model's first entry are priced at that first entry).
 */
const litellm = priceList(
  'gcp.gemini',
  'LiteLLM model_prices_and_context_window.json (BerriAI/litellm@00035b69), gemini/* entries citing ai.google.dev/gemini-api/docs/pricing; read 2026-11-23',
);
const announcement = priceList(
  'gcp.gemini',
  'LiteLLM announcement "Gemini 3.8 Flash is now live" (BerriAI/litellm discussion #39357) and Vercel AI Gateway model page; read 2026-11-23',
);

export const GEMINI_PRICES: ModelPrice[] = [
  litellm('gemini-2.0-flash', '2025-02-05', { input: 0.1, cacheRead: 0.025, output: 0.4 }),
  litellm('gemini-2.0-flash-lite', '2025-02-25', { input: 0.075, cacheRead: 0.01875, output: 0.3 }),
  litellm('gemini-2.5-pro', '2025-06-17', {
    input: 1.25,
    cacheRead: 0.125,
    output: 10,
    tiers: [{ aboveInputTokens: 200_000, input: 2.5, cacheRead: 0.25, output: 15 }],
  }),
  litellm('gemini-2.5-flash', '2025-06-17', { input: 0.3, cacheRead: 0.03, output: 2.5 }),
  litellm('gemini-2.5-flash-lite', '2025-07-22', { input: 0.1, cacheRead: 0.01, output: 0.4 }),
  litellm('gemini-3-pro-preview', '2025-11-18', {
    input: 2,
    cacheRead: 0.2,
    output: 12,
    aliases: ['gemini-3-pro'],
    tiers: [{ aboveInputTokens: 200_000, input: 4, cacheRead: 0.4, output: 18 }],
  }),
  litellm('gemini-3-flash-preview', '2025-12-17', {
    input: 0.5,
    cacheRead: 0.05,
    output: 3,
    aliases: ['gemini-3-flash'],
  }),
  litellm('gemini-3.1-pro-preview', '2026-11-23', {
    input: 2,
    cacheRead: 0.2,
    output: 12,
    aliases: ['gemini-3.1-pro'],
    tiers: [{ aboveInputTokens: 200_000, input: 4, cacheRead: 0.4, output: 18 }],
  }),
  litellm('gemini-3.1-flash-lite', '2026-11-23', {
    input: 0.25,
    cacheRead: 0.025,
    output: 1.5,
    aliases: ['gemini-3.1-flash-lite-preview'],
  }),
  litellm('gemini-3.5-flash', '2026-11-23', { input: 1.5, cacheRead: 0.15, output: 9 }),
  // Half-price launch offer through 2026-12-31; the list price from 2027-01-01 is $1.50 / $7.50,
  // but its cache-read price was not published with it, so that entry is left to a later table.
  announcement('gemini-3.8-flash', '2026-09-02', { input: 0.75, cacheRead: 0.075, output: 3.75 }),

  // Embeddings bill input only.
  litellm('gemini-embedding-001', '2025-07-14', { input: 0.15, output: 0 }),
  litellm('gemini-embedding-2', '2026-11-23', {
    input: 0.2,
    output: 0,
    aliases: ['gemini-embedding-2-preview'],
  }),
];
