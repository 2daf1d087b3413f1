import { DASHBOARD_UIDS } from '../../alerts/generator/config.ts';
import type { DashboardSpec, PanelSpec } from './common.ts';

/**
 * Service health: how the bursar service itself runs — ingest, reservations, scrape and store
 * latency, event loop, WebSocket and webhook delivery, label overflow — per replica.
 */

const J = 'job=~"$job",instance=~"$instance"';

function series(title: string, description: string, unit: string, expr: string, legend: string): PanelSpec {
  return { kind: 'timeseries', title, description, unit, queries: [{ expr, legend }], w: 12 };
}

const p99 = (histogram: string) =>
  `histogram_quantile(0.99, sum by (le, instance) (rate(${histogram}_bucket{${J}}[$__rate_interval])))`;

export function serviceHealth(): DashboardSpec {
  return {
    uid: DASHBOARD_UIDS.health,
    title: 'bursar / Service health',
    description:
      'The bursar service itself: OTLP and REST ingest, reservations, /metrics scrape and store latency, event loop lag, WebSocket and webhook delivery, per replica.',
    variables: [
      { name: 'job', label: 'Job', query: 'label_values(bursar_store_up, job)' },
      { name: 'instance', label: 'Instance', query: 'label_values(bursar_store_up{job=~"$job"}, instance)' },
    ],
    panels: [
      {
        kind: 'stat',
        title: 'Replicas up',
        description:
          'Whether Prometheus can scrape each replica (up) and whether its budget store is reachable and writable (bursar_store_up).',
        unit: 'bool_on_off',
        queries: [
          { expr: `min by (instance) (up{${J}})`, legend: '{{instance}} scrape' },
          {
            expr: `min by (instance, store) (bursar_store_up{${J}})`,
            legend: '{{instance}} {{store}} store',
          },
        ],
        w: 12,
        h: 5,
      },
      {
        kind: 'stat',
        title: 'Active reservations',
        description:
          'Reservations currently holding budget in the shared store (the same figure on every replica).',
        unit: 'short',
        queries: [{ expr: `max(bursar_reservations_active{${J}})`, legend: 'active' }],
        w: 12,
        h: 5,
      },
      series(
        'Ingest by result',
        'Spans (signal traces) and metric data points (signal metrics) received per second, by what became of them: accepted, duplicate (a retry), rejected or ignored (not GenAI).',
        'ops',
        `sum by (signal, result) (rate(bursar_ingest_spans_total{${J}}[$__rate_interval]))`,
        '{{signal}} {{result}}',
      ),
      series(
        'Ingest requests by status code',
        'Ingest requests answered per second, by signal and HTTP status code (4xx/5xx mean lost or delayed usage; alert BursarIngestErrors).',
        'reqps',
        `sum by (signal, code) (rate(bursar_ingest_requests_total{${J}}[$__rate_interval]))`,
        '{{signal}} {{code}}',
      ),
      series(
        'Reservations expired',
        'Reservations released by expiry per second, because they were never committed or released (leaks; alert BursarReservationsExpiring).',
        'ops',
        `sum(rate(bursar_reservations_expired_total{${J}}[$__rate_interval]))`,
        'expired',
      ),
      {
        kind: 'timeseries',
        title: 'Scrape latency',
        description:
          'p99 time bursar takes to build its /metrics answer, and the scrape duration Prometheus measured (scrape_duration_seconds).',
        unit: 's',
        queries: [
          { expr: p99('bursar_scrape_duration_seconds'), legend: '{{instance}} p99 build' },
          {
            expr: `scrape_duration_seconds{${J}} and on (job, instance) bursar_store_up{${J}}`,
            legend: '{{instance}} scrape',
          },
        ],
        w: 12,
      },
      series(
        'Store latency',
        'p99 time to read every budget status from the store for the budget gauges (store reads included).',
        's',
        p99('bursar_budget_status_read_duration_seconds'),
        '{{instance}} p99',
      ),
      series(
        'Event loop lag',
        'p99 Node.js event loop delay per replica: high values delay every check, reserve and ingest answer.',
        's',
        `max by (instance) (nodejs_eventloop_lag_p99_seconds{${J}})`,
        '{{instance}}',
      ),
      series(
        'CPU',
        'CPU time used per second per replica (1 = one core busy).',
        'short',
        `sum by (instance) (rate(process_cpu_seconds_total{${J}}[$__rate_interval]))`,
        '{{instance}}',
      ),
      {
        kind: 'timeseries',
        title: 'Memory',
        description: 'Resident memory and used JavaScript heap per replica.',
        unit: 'bytes',
        queries: [
          {
            expr: `max by (instance) (process_resident_memory_bytes{${J}})`,
            legend: '{{instance}} resident',
          },
          { expr: `max by (instance) (nodejs_heap_size_used_bytes{${J}})`, legend: '{{instance}} heap used' },
        ],
        w: 12,
      },
      series(
        'WebSocket clients',
        'Clients connected to /ws (usage and status) and /ws/alerts.',
        'short',
        `sum by (path) (bursar_ws_clients{${J}})`,
        '{{path}}',
      ),
      series(
        'WebSocket messages',
        'WebSocket messages sent per second, by path.',
        'ops',
        `sum by (path) (rate(bursar_ws_messages_sent_total{${J}}[$__rate_interval]))`,
        '{{path}}',
      ),
      {
        kind: 'timeseries',
        title: 'WebSocket clients dropped',
        description:
          'Clients the service disconnected, by path and reason: slow (send buffer full) or unresponsive (no pong to a ping).',
        unit: 'short',
        bars: true,
        queries: [
          {
            expr: `sum by (path, reason) (increase(bursar_ws_clients_dropped_total{${J}}[$__rate_interval]))`,
            legend: '{{path}} {{reason}}',
          },
        ],
        w: 12,
      },
      series(
        'Webhook deliveries',
        'Webhook deliveries per second by result: delivered, retried (attempts repeated), failed (gave up) or dropped (queue full or shutdown).',
        'ops',
        `sum by (result) (rate(bursar_webhook_deliveries_total{${J}}[$__rate_interval]))`,
        '{{result}}',
      ),
      series(
        'Metric label overflow',
        'Observations per second whose label value was reported as __overflow__ because the label reached metrics.maxValuesPerLabel: raise the cap or drop the label from metrics.labels.',
        'ops',
        `sum by (label) (rate(bursar_metric_label_overflow_total{${J}}[$__rate_interval]))`,
        '{{label}}',
      ),
    ],
  };
}
