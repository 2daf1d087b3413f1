import type { ModelPrice } from '../price.ts';
import { priceList } from './build.ts';

/**
 * OpenAI list prices (standard tier), USD per 1M tokens. OpenAI bills reasoning tokens as
 * output, so no entry prices reasoning apart. Cached input is `cacheRead`.
 *
 * effectiveFrom is the model's (or price change's) release date where known; where it was
 * not confirmed it is the date the price was first seen listed. Records older than a model's
 * first entry are priced at that first entry, so the date only matters between two entries.
 */
const openaiPage = priceList(
  'openai',
  'OpenAI API pricing page (platform.openai.com/docs/pricing), list prices as published; recorded 2026-11-23',
);
const litellm = priceList(
  'openai',
  'LiteLLM model_prices_and_context_window.json (BerriAI/litellm@00035b69), openai entries; read 2026-11-23',
);
const webPage = priceList(
  'openai',
  'OpenAI pricing as reported 2026-06-04 (tokenmix.ai "OpenAI API Cost 2026"), matching LiteLLM @00035b69; read 2026-11-23',
);

export const OPENAI_PRICES: ModelPrice[] = [
  // GPT-4o: the first snapshot kept its launch price; the alias moved to the cheaper 2024-08-06
  // snapshot (and prompt caching began) on 2024-10-02.
  openaiPage('gpt-4o-2024-05-13', '2024-05-13', { input: 5, output: 15 }),
  openaiPage('gpt-4o-2024-08-06', '2024-08-06', { input: 2.5, cacheRead: 1.25, output: 10 }),
  openaiPage('gpt-4o', '2024-05-13', { input: 5, output: 15 }),
  openaiPage('gpt-4o', '2024-10-02', { input: 2.5, cacheRead: 1.25, output: 10 }),
  litellm('gpt-4o-mini', '2024-07-18', { input: 0.15, cacheRead: 0.075, output: 0.6 }),

  litellm('gpt-4.1', '2025-04-14', { input: 2, cacheRead: 0.5, output: 8 }),
  litellm('gpt-4.1-mini', '2025-04-14', { input: 0.4, cacheRead: 0.1, output: 1.6 }),
  openaiPage('gpt-4.1-nano', '2025-04-14', { input: 0.1, cacheRead: 0.025, output: 0.4 }),

  openaiPage('o1', '2024-12-17', { input: 15, cacheRead: 7.5, output: 60 }),
  openaiPage('o3-mini', '2025-01-31', { input: 1.1, cacheRead: 0.55, output: 4.4 }),
  // o3 launched at $10/$40 and was cut by 80% on 2025-06-10.
  openaiPage('o3', '2025-04-16', { input: 10, cacheRead: 2.5, output: 40 }),
  openaiPage('o3', '2025-06-10', { input: 2, cacheRead: 0.5, output: 8 }),
  openaiPage('o3-pro', '2025-06-10', { input: 20, output: 80 }),
  openaiPage('o4-mini', '2025-04-16', { input: 1.1, cacheRead: 0.275, output: 4.4 }),

  litellm('gpt-5', '2025-08-07', {
    input: 1.25,
    cacheRead: 0.125,
    output: 10,
    aliases: ['gpt-5-chat-latest', 'gpt-5-codex'],
  }),
  litellm('gpt-5-mini', '2025-08-07', { input: 0.25, cacheRead: 0.025, output: 2 }),
  openaiPage('gpt-5-nano', '2025-08-07', { input: 0.05, cacheRead: 0.005, output: 0.4 }),
  litellm('gpt-5-pro', '2025-10-06', { input: 15, output: 120 }),
  litellm('gpt-5.1', '2025-11-13', {
    input: 1.25,
    cacheRead: 0.125,
    output: 10,
    aliases: ['gpt-5.1-chat-latest', 'gpt-5.1-codex', 'gpt-5.1-codex-max'],
  }),
  litellm('gpt-5.1-codex-mini', '2025-11-13', { input: 0.25, cacheRead: 0.025, output: 2 }),
  litellm('gpt-5.2', '2025-12-11', {
    input: 1.75,
    cacheRead: 0.175,
    output: 14,
    aliases: ['gpt-5.2-chat-latest', 'gpt-5.2-codex', 'gpt-5.3-codex', 'gpt-5.3-chat-latest'],
  }),
  litellm('gpt-5.2-pro', '2025-12-11', { input: 21, output: 168 }),

  // From GPT-5.4 on, prompts above 272K input tokens are billed at 2× input and 1.5× output
  // for the whole request.
  webPage('gpt-5.4', '2026-03-05', {
    input: 2.5,
    cacheRead: 0.25,
    output: 15,
    tiers: [{ aboveInputTokens: 272_000, input: 5, cacheRead: 0.5, output: 22.5 }],
  }),
  litellm('gpt-5.4-pro', '2026-03-05', {
    input: 30,
    cacheRead: 3,
    output: 180,
    tiers: [{ aboveInputTokens: 272_000, input: 60, cacheRead: 6, output: 270 }],
  }),
  webPage('gpt-5.4-mini', '2026-03-17', { input: 0.75, cacheRead: 0.075, output: 4.5 }),
  webPage('gpt-5.4-nano', '2026-03-17', { input: 0.2, cacheRead: 0.02, output: 1.25 }),
  webPage('gpt-5.5', '2026-04-23', {
    input: 5,
    cacheRead: 0.5,
    output: 30,
    tiers: [{ aboveInputTokens: 272_000, input: 10, cacheRead: 1, output: 45 }],
  }),
  litellm('gpt-5.5-pro', '2026-04-23', {
    input: 30,
    cacheRead: 3,
    output: 180,
    tiers: [{ aboveInputTokens: 272_000, input: 60, cacheRead: 6, output: 270 }],
  }),
  // GPT-5.6 adds a cache-write price (1.25× input). Launch date not confirmed.
  litellm('gpt-5.6-sol', '2026-11-23', {
    input: 5,
    cacheRead: 0.5,
    cacheWrite: 6.25,
    output: 30,
    aliases: ['gpt-5.6'],
    tiers: [{ aboveInputTokens: 272_000, input: 10, cacheRead: 1, cacheWrite: 12.5, output: 45 }],
  }),
  litellm('gpt-5.6-terra', '2026-11-23', {
    input: 2.5,
    cacheRead: 0.25,
    cacheWrite: 3.125,
    output: 15,
    tiers: [{ aboveInputTokens: 272_000, input: 5, cacheRead: 0.5, cacheWrite: 6.25, output: 22.5 }],
  }),
  litellm('gpt-5.6-luna', '2026-11-23', {
    input: 1,
    cacheRead: 0.1,
    cacheWrite: 1.25,
    output: 6,
    tiers: [{ aboveInputTokens: 272_000, input: 2, cacheRead: 0.2, cacheWrite: 2.5, output: 9 }],
  }),

  // Embeddings bill input only.
  openaiPage('text-embedding-3-small', '2024-01-25', { input: 0.02, output: 0 }),
  openaiPage('text-embedding-3-large', '2024-01-25', { input: 0.13, output: 0 }),
  openaiPage('text-embedding-ada-002', '2022-12-15', { input: 0.1, output: 0 }),
];
