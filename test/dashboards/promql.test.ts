import { describe, expect, it } from 'vitest';
import { labelValuesQuery, metricNames, substitute, variableRefs } from './promql.ts';

describe('reading PromQL in tests', () => {
  it('finds metric names, not functions, labels, keywords, numbers or durations', () => {
    const expr =
      'histogram_quantile(0.95, sum by (le, model) (rate(a_bucket{job=~"$job",x="rate(b)"}[$__rate_interval])' +
      ' or rate(a_seconds_bucket[5m]))) * 3600 / 1e9 + on (budget) group_left (period) c:rec:rate1h offset 5m' +
      ' unless ignoring (x) absent(up{job="bursar"} == 1) - time()';
    expect([...metricNames(expr)].sort()).toEqual(['a_bucket', 'a_seconds_bucket', 'c:rec:rate1h', 'up']);
  });

  it('substitutes Grafana macros and variables', () => {
    const expr = 'rate(x{a=~"$a",b=~"${b}"}[$__rate_interval]) + increase(x[$__range]) + y[$__interval]';
    expect(substitute(expr, { rateInterval: '4s', interval: '1s', range: '90s', vars: { b: 'v' } })).toBe(
      'rate(x{a=~".*",b=~"v"}[4s]) + increase(x[90s]) + y[1s]',
    );
    expect([...variableRefs(expr)]).toEqual(['a', 'b']);
  });

  it('splits label_values() queries', () => {
    expect(labelValuesQuery('label_values({__name__=~"a(_s)?_count"}, model)')).toEqual({
      selector: '{__name__=~"a(_s)?_count"}',
      label: 'model',
    });
  });
});
