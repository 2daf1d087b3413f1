import type { ModelPrice } from './price.ts';
import { ANTHROPIC_PRICES } from './shipped/anthropic.ts';
import { GEMINI_PRICES } from './shipped/gemini.ts';
import { OPENAI_PRICES } from './shipped/openai.ts';

/**
 * The price table bursar ships, dated by the day its figures were last read. Every cost records
 * the catalog version it was computed with, so a cost can be traced to the exact table (and a
 * later table can recompute it). Each entry names its own source and effective date.
 *
 * Update: re-read the sources named in each entry, add a new entry (with its own effectiveFrom)
 * when a price changes rather than editing the old one, and move this date.
 */
export const SHIPPED_CATALOG_VERSION = '2026-11-23';

export const SHIPPED_PRICES: readonly ModelPrice[] = Object.freeze([
  ...OPENAI_PRICES,
  ...ANTHROPIC_PRICES,
  ...GEMINI_PRICES,
]);
