import { z } from 'zod';
import type { Resource } from '../../budget/budget-spec.ts';
import { NANO_PER_USD } from '../../pricing/price.ts';

/**
 * Amounts in responses. The engine counts in integers (nano-USD, tokens, milliseconds,
 * counts) and every response keeps those integers; next to them it shows the amount in
 * the unit people read (USD, seconds) as an exact decimal string made from the integer
 * by digit arithmetic, never by float division, so `"0.00027"` is exactly 270,000 nano-USD.
 */

function decimal(units: number, scale: number, digits: number, minDecimals: number): string {
  const sign = units < 0 ? '-' : '';
  const abs = Math.abs(Math.round(units));
  const whole = Math.floor(abs / scale);
  let frac = String(abs % scale)
    .padStart(digits, '0')
    .replace(/0+$/, '');
  if (frac.length < minDecimals) frac = frac.padEnd(minDecimals, '0');
  return frac ? `${sign}${whole}.${frac}` : `${sign}${whole}`;
}

/** 270000 → "0.00027"; 3e9 → "3.00". */
export function usdString(nanoUsd: number): string {
  return decimal(nanoUsd, NANO_PER_USD, 9, 2);
}

/** 1500 → "1.5". */
export function secondsString(ms: number): string {
  return decimal(ms, 1000, 3, 0);
}

/** Pico-USD per token (= micro-USD per 1M tokens) → USD per 1M tokens: 2500000 → "2.50". */
export function usdPerMTokString(picoPerToken: number): string {
  return decimal(picoPerToken, 1_000_000, 6, 2);
}

export const COUNTER_UNITS = ['nano_usd', 'tokens', 'requests', 'tool_calls', 'milliseconds'] as const;
export type CounterUnit = (typeof COUNTER_UNITS)[number];
export const DISPLAY_UNITS = ['USD', 'tokens', 'requests', 'tool_calls', 'seconds'] as const;
export type DisplayUnit = (typeof DISPLAY_UNITS)[number];

export function counterUnit(resource: Resource): CounterUnit {
  switch (resource) {
    case 'cost_usd':
      return 'nano_usd';
    case 'duration_seconds':
      return 'milliseconds';
    case 'requests':
    case 'tool_calls':
      return resource;
    default:
      return 'tokens';
  }
}

export function displayUnit(resource: Resource): DisplayUnit {
  if (resource === 'cost_usd') return 'USD';
  if (resource === 'duration_seconds') return 'seconds';
  return counterUnit(resource) as DisplayUnit;
}

/** A counter amount in the unit people read, as an exact decimal string. */
export function displayAmount(resource: Resource, units: number): string {
  if (resource === 'cost_usd') return usdString(units);
  if (resource === 'duration_seconds') return secondsString(units);
  return String(Math.round(units));
}

/**
 * Period starts and ends repeat on every decision (a few distinct values per budget), and
 * formatting a date costs more than the rest of a budget's view: they are remembered.
 */
const ISO_CACHE = new Map<number, string>();

/** Epoch ms → ISO 8601; null for the open end of a `total` period (or an unknown time). */
export function isoTime(ms: number): string;
export function isoTime(ms: number | null): string | null;
export function isoTime(ms: number | null): string | null {
  if (ms === null || !Number.isFinite(ms)) return null;
  let iso = ISO_CACHE.get(ms);
  if (iso === undefined) {
    iso = new Date(ms).toISOString();
    if (ISO_CACHE.size >= 1024) ISO_CACHE.clear();
    ISO_CACHE.set(ms, iso);
  }
  return iso;
}

/** NaN (store unavailable) and ±Infinity (a zero limit) have no JSON number: null. */
export function finiteOrNull(n: number | null): number | null {
  return n === null || !Number.isFinite(n) ? null : n;
}

export const usdSchema = z
  .string()
  .regex(/^-?\d+\.\d{2,9}$/)
  .describe('USD as an exact decimal string derived from the integer nano-USD figure beside it.');
export const decimalSchema = z
  .string()
  .regex(/^-?\d+(?:\.\d+)?$/)
  .describe(
    'The amount in its display unit as an exact decimal string: USD for cost budgets, seconds for duration budgets, a whole count otherwise.',
  );
export const isoSchema = z.iso.datetime().describe('ISO 8601 UTC timestamp.');
export const counterUnitSchema = z
  .enum(COUNTER_UNITS)
  .describe(
    'Unit of the integer amounts: nano_usd (1e-9 USD), tokens, requests, tool_calls or milliseconds.',
  );
export const displayUnitSchema = z.enum(DISPLAY_UNITS);
