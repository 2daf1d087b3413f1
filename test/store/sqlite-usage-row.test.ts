import { describe, expect, it } from 'vitest';
import {
  assertStorable,
  USAGE_COLUMNS,
  type UsageDbRow,
  usageFromRow,
  usageRowValues,
} from '../../src/store/sqlite-usage-row.ts';
import type { PricedRecord } from '../../src/usage/usage-record.ts';
import { cost, priced } from './fixtures.ts';

/** What SQLite hands back for a written row (the columns by name). */
function roundTrip(r: PricedRecord): PricedRecord {
  const values = usageRowValues(r);
  const row = Object.fromEntries(USAGE_COLUMNS.map((c, i) => [c, values[i]])) as unknown as UsageDbRow;
  return usageFromRow(row);
}

describe('usage row mapping', () => {
  it('writes a plain record without extra JSON and reads it back exactly', () => {
    const r = priced('a', { responseModel: 'gpt-5.5-2026-01', toolName: 'search', errorType: 'timeout' });
    const values = usageRowValues(r);
    expect(values[USAGE_COLUMNS.indexOf('extra')]).toBeNull();
    expect(values[USAGE_COLUMNS.indexOf('model')]).toBe('gpt-5.5-2026-01');
    expect(values[USAGE_COLUMNS.indexOf('tenant')]).toBe('acme');
    expect(values[USAGE_COLUMNS.indexOf('session')]).toBe('');
    expect(roundTrip(r)).toStrictEqual(r);
  });

  it('keeps fields without a column, and fields added later, in the extra JSON', () => {
    const r = {
      ...priced('b', { providerCostNanoUsd: 1234, toolName: '' }),
      cost: {
        ...cost(5, { providerNanoUsd: 1234, tierAboveInputTokens: 200_000, source: 'provider' as const }),
        breakdownNanoUsd: { input: 1, output: 2, cacheRead: 3, cacheWrite: 4, reasoning: 5, audio: 6 },
        currency: 'USD',
      },
      usage: {
        input: 10,
        output: 5,
        cacheRead: 0,
        cacheWrite: 0,
        cacheWrite1h: 0,
        reasoning: 0,
        audioInput: 3,
      },
      region: 'eu',
    } as PricedRecord;
    const extra = JSON.parse(usageRowValues(r)[USAGE_COLUMNS.indexOf('extra')] as string);
    expect(extra).toEqual({
      providerCostNanoUsd: 1234,
      toolName: '',
      region: 'eu',
      usage: { audioInput: 3 },
      cost: { currency: 'USD', breakdownNanoUsd: { audio: 6 } },
    });
    expect(roundTrip(r)).toStrictEqual(r);
  });

  it('drops explicitly undefined optional fields (as JSON would)', () => {
    const r = priced('c', { responseModel: undefined, providerCostNanoUsd: undefined });
    expect(usageRowValues(r)[USAGE_COLUMNS.indexOf('extra')]).toBeNull();
    expect(roundTrip(r)).toEqual(r);
  });

  it('refuses records a NOT NULL column could not hold', () => {
    expect(() => assertStorable(priced('d', { durationMs: Number.NaN }))).toThrow(
      /durationMs must be a finite number/,
    );
    expect(() => assertStorable(priced(''))).toThrow(/id must be a non-empty string/);
    const noBreakdown = {
      ...priced('e'),
      cost: { ...cost(1), breakdownNanoUsd: undefined },
    } as unknown as PricedRecord;
    expect(() => assertStorable(noBreakdown)).toThrow(/breakdownNanoUsd/);
    expect(() => assertStorable(priced('f'))).not.toThrow();
  });
});
