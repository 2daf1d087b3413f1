import type { TokenUsage } from '../../src/usage/token-usage.ts';
import type { UsageRecord } from '../../src/usage/usage-record.ts';

/** 2026-11-01T12:00:00Z: after every shipped price change. */
export const NOV_2026 = Date.UTC(2026, 10, 1, 12);

export function usage(partial: Partial<TokenUsage>): TokenUsage {
  return { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0, reasoning: 0, ...partial };
}

export function record(
  partial: Partial<UsageRecord> & Pick<UsageRecord, 'provider' | 'requestModel'>,
): UsageRecord {
  return {
    id: 'r1',
    time: NOV_2026,
    operation: 'chat',
    usage: usage({}),
    scope: {},
    durationMs: 0,
    usageSource: 'provider',
    ...partial,
  };
}
