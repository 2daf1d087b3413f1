import { DASHBOARD_UIDS } from '../../alerts/generator/config.ts';
import type { DashboardSpec, PanelSpec } from './common.ts';

/**
 * GenAI client telemetry: the agents' own `gen_ai.client.*` histograms (from bursar's
 * instrumentation or any GenAI semconv instrumentation), as Prometheus stores them.
 *
 * Two names reach Prometheus for the same histogram: the OpenTelemetry JS Prometheus exporter
 * adds no unit suffix (`gen_ai_client_operation_duration_bucket`), Prometheus' own OTLP
 * receiver does (`gen_ai_client_operation_duration_seconds_bucket`). Every query reads both,
 * joined with `or` (after rate() drops the name, the first one wins where both exist).
 * `{token}` units are dropped on both paths: token usage has one name.
 */

const SEL = 'job=~"$job",gen_ai_request_model=~"$model"';

/** rate() of a histogram series under both of its names. */
export function bothNames(base: string, series: '_bucket' | '_count' | '_sum', unit = 'seconds'): string {
  return (
    `rate(${base}${series}{${SEL}}[$__rate_interval])\n` +
    `or\nrate(${base}_${unit}${series}{${SEL}}[$__rate_interval])`
  );
}

const DURATION = 'gen_ai_client_operation_duration';
const TTFC = 'gen_ai_client_operation_time_to_first_chunk';

function quantile(q: number, base: string, what: string): PanelSpec {
  return {
    kind: 'timeseries',
    title: `p${q * 100} ${what} by model`,
    description: `${q * 100}th percentile of ${what} per requested model, from the ${base.replaceAll('_', '.')} histogram (either Prometheus name).`,
    unit: 's',
    queries: [
      {
        expr: `histogram_quantile(${q}, sum by (le, gen_ai_request_model) (\n${bothNames(base, '_bucket')}\n))`,
        legend: '{{gen_ai_request_model}}',
      },
    ],
    w: 12,
  };
}

export function genaiClient(): DashboardSpec {
  return {
    uid: DASHBOARD_UIDS.genai,
    title: 'bursar / GenAI client telemetry',
    description:
      "Request rate, latency and time to first chunk by model, from the agents' gen_ai.client.* histograms, whether exported by the OpenTelemetry JS Prometheus exporter or received by Prometheus over OTLP.",
    variables: [
      {
        name: 'job',
        label: 'Job',
        query: `label_values({__name__=~"${DURATION}(_seconds)?_count"}, job)`,
      },
      {
        name: 'model',
        label: 'Model',
        query: `label_values({__name__=~"${DURATION}(_seconds)?_count"}, gen_ai_request_model)`,
      },
    ],
    panels: [
      {
        kind: 'timeseries',
        title: 'Request rate by model',
        description:
          'GenAI calls per second per requested model (the count of the operation duration histogram).',
        unit: 'reqps',
        queries: [
          {
            expr: `sum by (gen_ai_request_model) (\n${bothNames(DURATION, '_count')}\n)`,
            legend: '{{gen_ai_request_model}}',
          },
        ],
        w: 12,
      },
      {
        kind: 'timeseries',
        title: 'Token usage by type',
        description: 'Input and output tokens per second, from the gen_ai.client.token.usage histogram sums.',
        unit: 'suffix: tokens/s',
        queries: [
          {
            expr: `sum by (gen_ai_token_type) (rate(gen_ai_client_token_usage_sum{${SEL}}[$__rate_interval]))`,
            legend: '{{gen_ai_token_type}}',
          },
        ],
        w: 12,
      },
      {
        kind: 'timeseries',
        title: 'Cost by model (agent-reported)',
        description:
          "Cost per hour per requested model as the agents' bursar instrumentation priced it (bursar.client.cost, counted in nano-USD). Compare with the service's Spend and tokens dashboard: a gap means usage that never reached the service.",
        unit: 'currencyUSD',
        queries: [
          {
            expr: `sum by (gen_ai_request_model) (rate(bursar_client_cost_total{${SEL}}[$__rate_interval])) * 3600 / 1e9`,
            legend: '{{gen_ai_request_model}}',
          },
        ],
        w: 24,
      },
      quantile(0.5, DURATION, 'operation duration'),
      quantile(0.95, DURATION, 'operation duration'),
      quantile(0.5, TTFC, 'time to first chunk'),
      quantile(0.95, TTFC, 'time to first chunk'),
    ],
  };
}
