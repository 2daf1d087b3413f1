import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { callSchema, commitSchema, reserveSchema } from '../../src/budget/engine.ts';
import { tokenUsageSchema } from '../../src/usage/token-usage.ts';
import { usageRecordSchema } from '../../src/usage/usage-record.ts';
import { fastSchema } from '../../src/validation/fast-schema.ts';

// Mostly valid values, with the edges where two validators are most likely to
// disagree mixed in, so both verdicts are well represented.
const often = <T>(valid: fc.Arbitrary<T>, edge: fc.Arbitrary<unknown>) =>
  fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: edge, weight: 1 });
const label = often(
  fc.constantFrom('acme', 'planner', 'gpt-4o', 'x'.repeat(256)),
  fc.oneof(
    fc.constantFrom('', 'x'.repeat(257), '😀'.repeat(128), '😀'.repeat(129)),
    fc.string(),
    fc.integer(),
  ),
);
const count = often(
  fc.integer({ min: 0, max: 1_000_000 }),
  fc.oneof(
    fc.constantFrom(-0, -1, 1.5, 1e9, 1e9 + 1, 1e12, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '5'),
    fc.double(),
  ),
);
const amount = often(
  fc.double({ min: 0, max: 1000, noNaN: true }),
  fc.constantFrom(-0.001, 1e6, 1e6 + 1, 86_400, 86_400.5, Number.NaN, Number.NEGATIVE_INFINITY),
);
const key: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom('tenant', 'agent', 'session', 'a'.repeat(63)), weight: 12 },
  {
    arbitrary: fc.oneof(
      fc.constantFrom('Bad-Key', '9x', 'a'.repeat(64), '__proto__', 'constructor', 'prototype'),
      fc.string(),
    ),
    weight: 1,
  },
);
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });
const scope = often(fc.dictionary(key, label, { maxKeys: 4 }), fc.anything());
const estimate = often(
  fc.record(
    {
      inputTokens: maybe(count),
      outputTokens: maybe(count),
      costUsd: maybe(amount),
      durationSeconds: maybe(amount),
    },
    { requiredKeys: [] },
  ),
  fc.oneof(fc.record({ bogus: count }), fc.anything()),
);
const callFields = {
  scope,
  provider: maybe(label),
  model: maybe(label),
  operation: maybe(label),
  tool: maybe(label),
  estimate,
};
const call = fc.record(callFields, { requiredKeys: [] });
const reserve = fc.record(
  {
    ...callFields,
    ttlMs: maybe(often(fc.integer({ min: 1, max: 1e6 }), fc.constantFrom(0, -5, 1.5))),
    idempotencyKey: maybe(label),
  },
  { requiredKeys: [] },
);
const usage = often(
  fc.record(
    { input: maybe(count), output: maybe(count), cacheRead: maybe(count), reasoning: maybe(count) },
    { requiredKeys: [] },
  ),
  fc.anything(),
);
const commit = fc.record(
  {
    id: maybe(label),
    time: maybe(
      often(
        fc.integer({ min: 946_684_800_000, max: 7_258_118_400_000 }),
        fc.constantFrom(0, 1_700_000_000, 1.5),
      ),
    ),
    usage,
    scope: maybe(scope),
    durationMs: maybe(amount),
    usageSource: maybe(often(fc.constantFrom('provider', 'missing'), fc.constant('estimated'))),
  },
  { requiredKeys: ['usage'] },
);
const record = fc.record(
  {
    id: often(label, fc.constant(undefined)),
    time: often(
      fc.integer({ min: 946_684_800_000, max: 7_258_118_400_000 }),
      fc.constantFrom(0, 1.5, undefined),
    ),
    provider: label,
    operation: label,
    requestModel: label,
    responseModel: maybe(label),
    usage,
    scope: maybe(scope),
    toolName: maybe(label),
    durationMs: maybe(amount),
    errorType: maybe(label),
    usageSource: maybe(often(fc.constantFrom('provider', 'missing'), fc.constant('estimated'))),
    providerCostNanoUsd: maybe(count),
  },
  { requiredKeys: ['provider', 'operation', 'requestModel', 'usage'] },
);

function agree(schema: z.ZodType, fast: { parse(i: unknown): unknown }, input: unknown): boolean {
  const slow = schema.safeParse(input);
  let fastOut: unknown;
  let fastError: unknown;
  try {
    fastOut = fast.parse(input);
  } catch (error) {
    fastError = error;
  }
  expect(fastError === undefined, `verdicts differ for ${JSON.stringify(input)}`).toBe(slow.success);
  if (slow.success) expect(fastOut).toEqual(slow.data);
  return slow.success;
}

describe('fastSchema gives zod’s verdicts', () => {
  for (const [name, schema, arb] of [
    ['check', callSchema, call],
    ['reserve', reserveSchema, reserve],
    ['commit', commitSchema, commit],
    ['usage record', usageRecordSchema, record],
  ] as const) {
    it(`${name}: 20,000 random and edge-case inputs`, () => {
      const fast = fastSchema(schema, 'test');
      let accepted = 0;
      fc.assert(
        fc.property(arb, (input) => {
          if (agree(schema, fast, input)) accepted += 1;
        }),
        { numRuns: 20_000 },
      );
      // Both verdicts must be well represented, or the comparison proves little.
      expect(accepted).toBeGreaterThan(500);
      expect(accepted).toBeLessThan(19_500);
    });
  }

  it('errors carry zod’s message naming the field', () => {
    expect(() => fastSchema(callSchema, 'check').parse({ estimate: { inputTokens: -1 } })).toThrow(
      /check: estimate.inputTokens: must not be negative/,
    );
  });

  it('refuses schemas whose checks JSON Schema cannot carry', () => {
    expect(() => fastSchema(tokenUsageSchema, 'usage')).toThrow(/refinements/);
    expect(() => fastSchema(z.object({ a: z.object({ b: z.number().default(1) }) }), 'x')).toThrow(
      /top-level defaults/,
    );
  });

  it('does not mutate its input when filling defaults', () => {
    const input = { model: 'm' };
    const out = fastSchema(callSchema, 'check').parse(input);
    expect(out).toEqual({ model: 'm', scope: {}, estimate: {} });
    expect(input).toEqual({ model: 'm' });
  });
});
