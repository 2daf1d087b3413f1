import type { ModelPrice, UsdPerMTokPrices } from '../price.ts';
import { type ListedPrice, priceList } from './build.ts';

/**
 * Anthropic list prices, USD per 1M tokens, in the columns of Anthropic's pricing table:
 * base input, 5-minute cache writes (1.25× input), 1-hour cache writes (2× input), cache hits,
 * output. Thinking tokens are billed as output. Snapshot ids (`claude-sonnet-4-5-20250929`)
 * resolve to these undated names.
 *
 * Long context: Sonnet 4 and 4.5 bill a request whose input (cache reads and writes included,
 * which is semconv input) passes 200K tokens at $6 / $22.50 for the whole request, cache
 * prices scaling with input. Later models have no long-context premium, except Haiku 5.5,
 * which bills prompts above 100K at five times its base rates.
 */
const pricingPage = priceList(
  'anthropic',
  'Anthropic pricing (platform.claude.com/docs/en/about-claude/pricing: model pricing and long context tables); read 2026-11-23',
);
const modelPages = priceList(
  'anthropic',
  'Anthropic model overview pages (platform.claude.com/docs/*/models/<model>/overview), pricing section; read 2026-11-23',
);
const trackers = priceList(
  'anthropic',
  'Anthropic pricing page as re-audited 2026-10-09..24 by kurofune/claudit v1.9.2, TheKrush/PromptFuel v1.0.23, mahype/token-stats 0.3.2; read 2026-11-23',
);

/** The five columns of Anthropic's table, in its order. */
function columns(
  input: number,
  cacheWrite: number,
  cacheWrite1h: number,
  cacheRead: number,
  output: number,
): UsdPerMTokPrices {
  return { input, cacheWrite, cacheWrite1h, cacheRead, output };
}

const SONNET_4_LONG_CONTEXT: ListedPrice['tiers'] = [
  { aboveInputTokens: 200_000, ...columns(6, 7.5, 12, 0.6, 22.5) },
];

export const ANTHROPIC_PRICES: ModelPrice[] = [
  pricingPage('claude-3-haiku', '2024-03-13', columns(0.25, 0.3, 0.5, 0.03, 1.25)),
  pricingPage('claude-3-5-haiku', '2024-11-04', columns(0.8, 1, 1.6, 0.08, 4)),
  pricingPage('claude-3-7-sonnet', '2025-02-24', columns(3, 3.75, 6, 0.3, 15)),
  pricingPage('claude-sonnet-4', '2025-05-22', {
    ...columns(3, 3.75, 6, 0.3, 15),
    aliases: ['claude-sonnet-4-0'],
    tiers: SONNET_4_LONG_CONTEXT,
  }),
  pricingPage('claude-opus-4', '2025-05-22', {
    ...columns(15, 18.75, 30, 1.5, 75),
    aliases: ['claude-opus-4-0'],
  }),
  pricingPage('claude-opus-4-1', '2025-08-05', columns(15, 18.75, 30, 1.5, 75)),
  pricingPage('claude-sonnet-4-5', '2025-09-29', {
    ...columns(3, 3.75, 6, 0.3, 15),
    tiers: SONNET_4_LONG_CONTEXT,
  }),
  pricingPage('claude-haiku-4-5', '2025-10-15', columns(1, 1.25, 2, 0.1, 5)),
  pricingPage('claude-opus-4-5', '2025-11-24', columns(5, 6.25, 10, 0.5, 25)),
  pricingPage('claude-opus-4-6', '2026-02-05', columns(5, 6.25, 10, 0.5, 25)),
  pricingPage('claude-sonnet-4-6', '2026-02-17', columns(3, 3.75, 6, 0.3, 15)),
  // Launch dates of Opus 4.7 and 4.8 not confirmed: first seen listed.
  pricingPage('claude-opus-4-7', '2026-04-23', columns(5, 6.25, 10, 0.5, 25)),
  pricingPage('claude-opus-4-8', '2026-05-29', columns(5, 6.25, 10, 0.5, 25)),
  pricingPage('claude-fable-5', '2026-06-09', columns(10, 12.5, 20, 1, 50)),
  pricingPage('claude-mythos-5', '2026-06-09', columns(10, 12.5, 20, 1, 50)),
  modelPages('claude-sonnet-5', '2026-06-30', columns(2, 2.5, 4, 0.2, 10)),
  pricingPage('claude-opus-5', '2026-07-24', columns(5, 6.25, 10, 0.5, 25)),
  pricingPage('claude-fable-5-1', '2026-09-01', columns(10, 12.5, 20, 0.25, 50)),
  pricingPage('claude-mythos-5-1', '2026-09-01', columns(10, 12.5, 20, 0.25, 50)),
  // Opus 5.5 reads its cache at 0.05× input, not the usual 0.1×. First seen listed 2026-09-23.
  modelPages('claude-opus-5-5', '2026-09-23', columns(4, 5, 8, 0.2, 20)),
  // Sonnet 5.5 launched with cache hits at $0.20; Anthropic cut them to $0.10 on 2026-10-07.
  modelPages('claude-sonnet-5-5', '2026-09-29', columns(2, 2.5, 4, 0.2, 10)),
  trackers('claude-sonnet-5-5', '2026-10-07', columns(2, 2.5, 4, 0.1, 10)),
  trackers('claude-haiku-5-5', '2026-10-07', {
    ...columns(0.1, 0.125, 0.2, 0.01, 0.5),
    tiers: [{ aboveInputTokens: 100_000, ...columns(0.5, 0.625, 1, 0.05, 2.5) }],
  }),
];
