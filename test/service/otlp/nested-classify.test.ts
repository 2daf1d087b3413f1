import { describe, expect, it } from 'vitest';
import { type CountableSpan, NestedCalls } from '../../../src/service/otlp/nested-calls.ts';

/**
 * NestedCalls.classify without the service around it: the same verdicts whether spans
 * carry the decoder's id hashes or not, and when hashes collide or span ids repeat.
 */

const T1 = 'a'.repeat(32);
const T2 = 'b'.repeat(32);
const span = (traceId: string, spanId: string, parentSpanId = '', tool = false): CountableSpan => ({
  traceId,
  spanId,
  parentSpanId,
  tool,
});
/** The spans with hashes as the wire walk gives them (`hash` maps an id to its hash). */
const hashed = (spans: CountableSpan[], hash: (id: string) => number): CountableSpan[] =>
  spans.map((s) => ({
    ...s,
    spanHash: hash(s.spanId),
    parentHash: s.parentSpanId === '' ? -1 : hash(s.parentSpanId),
  }));
const realHash = (id: string) => parseInt(id.slice(-7), 16);
const collide = () => 7;
/** A parent that is not in the request shares the hash of a span that is. */
const alias = (id: string) => realHash(id === '9999999999999999' ? '1111111111111111' : id);

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
  [
    'a parent absent from the request whose hash is a present span’s',
    [span(T1, '1111111111111111'), span(T1, '2222222222222222', '9999999999999999')],
    [false, false],
  ],
];

describe('NestedCalls.classify', () => {
  for (const [name, spans, expected] of cases)
    it(name, () => {
      expect(new NestedCalls().classify(spans).nested).toEqual(expected);
      expect(new NestedCalls().classify(hashed(spans, realHash)).nested).toEqual(expected);
      expect(new NestedCalls().classify(hashed(spans, collide)).nested).toEqual(expected);
      expect(new NestedCalls().classify(hashed(spans, alias)).nested).toEqual(expected);
    });

  it('remembers counted spans and unseen parents across requests', () => {
    for (const hash of [undefined, realHash, collide]) {
      const nested = new NestedCalls();
      const prep = (s: CountableSpan[]) => (hash ? hashed(s, hash) : s);
      const first = nested.classify(
        prep([span(T1, '1111111111111111'), span(T1, '5555555555555555', '6666666666666666')]),
      );
      expect(first.nested).toEqual([false, false]);
      first.remember();
      // A child of a span counted before; the parent of a child counted before; a new span.
      const second = nested.classify(
        prep([
          span(T1, '2222222222222222', '1111111111111111'),
          span(T1, '6666666666666666'),
          span(T1, '7777777777777777'),
        ]),
      );
      expect(second.nested).toEqual([true, true, false]);
    }
  });
});
