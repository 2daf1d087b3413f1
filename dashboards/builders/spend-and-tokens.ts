import { DASHBOARD_UIDS } from '../../alerts/generator/config.ts';
import type { DashboardSpec, PanelSpec } from './common.ts';

/**
 * Spend and tokens: where the money and the tokens go, from the usage bursar recorded (its
 * own adapters, OTLP spans and metrics, REST). Scope labels (tenant, agent) are the ones
 * allow-listed in the service's `metrics.labels`.
 */

const MODEL = 'provider=~"$provider",model=~"$model"';
const SCOPE = `${MODEL},tenant=~"$tenant",agent=~"$agent"`;
const TOKENS_PER_S = 'suffix: tokens/s';

const costRate = (by: string) =>
  `sum by (${by}) (rate(bursar_cost_usd_total{${SCOPE}}[$__rate_interval])) * 3600`;

function spendBy(label: string, title: string): PanelSpec {
  return {
    kind: 'timeseries',
    title: `Spend rate by ${title}`,
    description: `Cost of recorded usage per hour, by ${title} (USD, priced by bursar's catalog; unpriced models count as 0, see Unpriced tokens).`,
    unit: 'currencyUSD',
    queries: [{ expr: costRate(label), legend: `{{${label}}}` }],
    w: 12,
  };
}

export function spendAndTokens(): DashboardSpec {
  return {
    uid: DASHBOARD_UIDS.spend,
    title: 'bursar / Spend and tokens',
    description:
      'GenAI spend and token usage recorded by bursar, by provider, model, agent and tenant: rates, token types, top consumers, cache hits, cost per request and unpriced usage.',
    variables: [
      { name: 'provider', label: 'Provider', query: 'label_values(bursar_tokens_total, provider)' },
      { name: 'model', label: 'Model', query: 'label_values(bursar_tokens_total, model)' },
      { name: 'tenant', label: 'Tenant', query: 'label_values(bursar_cost_usd_total, tenant)' },
      { name: 'agent', label: 'Agent', query: 'label_values(bursar_cost_usd_total, agent)' },
    ],
    panels: [
      spendBy('provider', 'provider'),
      spendBy('model', 'model'),
      spendBy('agent', 'agent'),
      spendBy('tenant', 'tenant'),
      {
        kind: 'timeseries',
        title: 'Tokens by type',
        description:
          'Tokens per second by type. input includes cache_read and cache_write, output includes reasoning (as in the GenAI semantic conventions), so the types overlap.',
        unit: TOKENS_PER_S,
        queries: [
          {
            expr: `sum by (token_type) (rate(bursar_tokens_total{${SCOPE}}[$__rate_interval]))`,
            legend: '{{token_type}}',
          },
        ],
        w: 12,
      },
      {
        kind: 'table',
        title: 'Top consumers',
        description: 'The 10 tenant and agent pairs that spent the most over the selected time range (USD).',
        unit: 'currencyUSD',
        queries: [
          {
            expr: `topk(10, sum by (tenant, agent) (increase(bursar_cost_usd_total{${SCOPE}}[$__range])))`,
            instant: true,
          },
        ],
        columns: { Value: 'Spent (USD)' },
        w: 12,
      },
      {
        kind: 'timeseries',
        title: 'Cache-hit ratio',
        description:
          'Share of input tokens served from the provider prompt cache, by model (cache_read ÷ input). A drop usually means a prompt prefix changed and costs went up.',
        unit: 'percentunit',
        min: 0,
        queries: [
          {
            expr:
              `sum by (model) (rate(bursar_tokens_total{${SCOPE},token_type="cache_read"}[$__rate_interval]))\n` +
              `/\nsum by (model) (rate(bursar_tokens_total{${SCOPE},token_type="input"}[$__rate_interval]))`,
            legend: '{{model}}',
          },
        ],
        w: 12,
      },
      {
        kind: 'timeseries',
        title: 'Cost per request',
        description:
          'Average cost of one GenAI call, by model (USD). bursar_requests_total carries no tenant or agent label, so this panel follows the provider and model filters only.',
        unit: 'currencyUSD',
        queries: [
          {
            expr:
              `sum by (model) (rate(bursar_cost_usd_total{${MODEL}}[$__rate_interval]))\n` +
              `/\nsum by (model) (rate(bursar_requests_total{${MODEL}}[$__rate_interval]))`,
            legend: '{{model}}',
          },
        ],
        w: 12,
      },
      {
        kind: 'timeseries',
        title: 'Requests by outcome',
        description: 'GenAI calls recorded per second, by model, operation and outcome (success or error).',
        unit: 'reqps',
        queries: [
          {
            expr: `sum by (model, operation, outcome) (rate(bursar_requests_total{${MODEL}}[$__rate_interval]))`,
            legend: '{{model}} {{operation}} {{outcome}}',
          },
        ],
        w: 12,
      },
      {
        kind: 'timeseries',
        title: 'Unpriced tokens',
        description:
          'Input and output tokens of models with no price, per second. Their cost is unknown and counts as 0 in cost budgets until a price is set (alert BursarUnpricedUsage).',
        unit: TOKENS_PER_S,
        queries: [
          {
            expr: `sum by (provider, model) (rate(bursar_unpriced_tokens_total{${MODEL}}[$__rate_interval]))`,
            legend: '{{provider}} {{model}}',
          },
        ],
        w: 12,
      },
    ],
  };
}
