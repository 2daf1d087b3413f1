import { describe, expect, it } from 'vitest';
import { type CountableSpan, NestedCalls } from '../../../src/service/otlp/nested-calls.ts';

/** NestedCalls.classify without the service around it, with and without record ids at hand. */

const T1 = 'a'.repeat(32);
const T2 = 'b'.repeat(32);
const span = (traceId: string, spanId: string, parentSpanId = '', tool = false): CountableSpan => ({
  traceId,
  spanId,
  parentSpanId,
  tool,
});
const keyed = (spans: CountableSpan[]) => spans.map((s) => ({ ...s, key: `${s.traceId}:${s.spanId}` }));

const cases: [string, CountableSpan[], boolean[]][] = [
  [
    'a child under its parent, another kind apart, other traces apart',
    [
      span(T1, '1111111111111111'),
      span(T1, '2222222222222222', '1111111111111111'),
      span(T1, '3333333333333333', '1111111111111111', true),
      span(T2, '4444444444444444', '1111111111111111'),
    ],
    [false, true, false, false],
  ],
  [
    'one span id in two traces',
    [
      span(T1, '1111111111111111'),
      span(T2, '1111111111111111'),
      span(T2, '2222222222222222', '1111111111111111'),
    ],
    [false, false, true],
  ],
];

describe('NestedCalls.classify', () => {
  for (const [name, spans, expected] of cases)
    it(name, () => {
      expect(new NestedCalls().classify(spans).nested).toEqual(expected);
      expect(new NestedCalls().classify(keyed(spans)).nested).toEqual(expected);
    });

  it('remembers counted spans and unseen parents across requests', () => {
    const nested = new NestedCalls();
    const first = nested.classify([
      span(T1, '1111111111111111'),
      span(T1, '5555555555555555', '6666666666666666'),
    ]);
    expect(first.nested).toEqual([false, false]);
    first.remember();
    // A child of a span counted before; the parent of a child counted before; a new span.
    const second = nested.classify([
      span(T1, '2222222222222222', '1111111111111111'),
      span(T1, '6666666666666666'),
      span(T1, '7777777777777777'),
    ]);
    expect(second.nested).toEqual([true, true, false]);
  });
});
