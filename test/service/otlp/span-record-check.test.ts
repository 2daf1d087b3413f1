import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkedSpanRecord, passesRecordCheck } from '../../../src/service/otlp/span-record-check.ts';
import { parseUsageRecord, type UsageRecord, usageRecordSchema } from '../../../src/usage/usage-record.ts';

/**
 * The span path's hand-written record check may only be stricter than the schema: every
 * record it passes, parseUsageRecord accepts and returns unchanged; every record it
 * refuses still gets parseUsageRecord's own answer (the same record, or the same error).
 */

const valid = (): UsageRecord => ({
  id: `${'ab'.repeat(16)}:${'cd'.repeat(8)}`,
  time: Date.UTC(2026, 4, 20),
  provider: 'openai',
  operation: 'chat',
  requestModel: 'gpt-5.5',
  usage: { input: 1200, output: 300, cacheRead: 512, cacheWrite: 0, cacheWrite1h: 0, reasoning: 64 },
  scope: { tenant: 'acme', agent: 'a1' },
  durationMs: 800,
  usageSource: 'provider',
  responseModel: 'gpt-5.5-2026-04-01',
});

const odd = fc.constantFrom<unknown>(
  undefined,
  null,
  '',
  'x'.repeat(256),
  'x'.repeat(257),
  0,
  -0,
  -1,
  0.5,
  1e9,
  1e9 + 1,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  946_684_799_999,
  946_684_800_000,
  7_258_118_400_000,
  7_258_118_400_001,
  7 * 24 * 3600 * 1000,
  7 * 24 * 3600 * 1000 + 1,
  'missing',
  'estimated',
  {},
  [],
  true,
);
const fields = [
  'id',
  'time',
  'provider',
  'operation',
  'requestModel',
  'responseModel',
  'toolName',
  'errorType',
  'durationMs',
  'usageSource',
  'providerCostNanoUsd',
] as const;
const usageFields = ['input', 'output', 'cacheRead', 'cacheWrite', 'cacheWrite1h', 'reasoning'] as const;
const labelNames = fc.constantFrom(
  'tenant',
  'agent',
  '',
  'Tenant',
  '9x',
  '__proto__',
  'constructor',
  'a'.repeat(64),
);

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('field' as const), field: fc.constantFrom(...fields), value: odd }),
  fc.record({ kind: fc.constant('usage' as const), field: fc.constantFrom(...usageFields), value: odd }),
  fc.record({ kind: fc.constant('scope' as const), field: labelNames, value: odd }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(r: UsageRecord, m: Mutation): void {
  const rec = r as unknown as Record<string, unknown>;
  if (m.kind === 'field') rec[m.field] = m.value;
  else if (m.kind === 'usage') (r.usage as unknown as Record<string, unknown>)[m.field] = m.value;
  else Object.defineProperty(r.scope, m.field, { value: m.value, enumerable: true, writable: true });
}

describe('span record check', () => {
  it('passes a usual span record, unchanged', () => {
    const r = valid();
    expect(passesRecordCheck(r)).toBe(true);
    expect(checkedSpanRecord(r)).toEqual(parseUsageRecord(valid(), 'span'));
  });

  it('never passes what the schema refuses, and answers as parseUsageRecord does', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (ms) => {
        const r = valid();
        for (const m of ms) mutate(r, m);
        const schema = usageRecordSchema.safeParse(r);
        if (passesRecordCheck(r)) {
          expect(schema.success).toBe(true);
          expect(r).toEqual(parseUsageRecord(r, 'span'));
        }
        let expected: unknown;
        try {
          expected = parseUsageRecord(r, 'span');
        } catch (e) {
          expected = e;
        }
        let actual: unknown;
        try {
          actual = checkedSpanRecord(r);
        } catch (e) {
          actual = e;
        }
        expect(actual).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });
});
