import { after, expectFiring, fixture, samplesFor } from './case-helpers.ts';
import { type AlertConfig, type Duration, durationSeconds } from './config.ts';
import { dashboardUrl, runbookUrl, sel } from './promql.ts';
import type { AlertDefinition, AlertingRule, InputSeries } from './types.ts';

/** Alerts on how bursar itself runs: pricing gaps, leaked reservations, ingest, denials, liveness. */

type Dashboard = Parameters<typeof dashboardUrl>[1];

function rule(
  config: AlertConfig,
  alert: string,
  r: Omit<AlertingRule, 'alert' | 'annotations'> & {
    summary: string;
    description: string;
    dashboard: Dashboard;
    vars?: Record<string, string>;
  },
): AlertingRule {
  return {
    alert,
    expr: r.expr,
    for: r.for,
    labels: r.labels,
    annotations: {
      summary: r.summary,
      description: r.description,
      runbook_url: runbookUrl(config, alert),
      dashboard_url: dashboardUrl(config, r.dashboard, r.vars),
    },
  };
}

/** `sum without (instance, <more>) (rate(metric{job,extra}[w]))`. */
function summedRate(config: AlertConfig, metric: string, w: Duration, extra = '', drop = ''): string {
  return `sum without (instance${drop ? `, ${drop}` : ''}) (rate(${sel(config, metric, extra)}[${w}]))`;
}

export function unpricedUsage(config: AlertConfig): AlertDefinition {
  const { window: w } = config.unpriced;
  const r = rule(config, 'BursarUnpricedUsage', {
    expr: `${summedRate(config, 'bursar_unpriced_tokens_total', w)} > 0`,
    for: config.unpriced.for,
    labels: { severity: 'warning' },
    summary: 'Tokens of a model with no price are counted at $0 in cost budgets.',
    description: `{{ $labels.provider }} model {{ $labels.model }} used {{ $value | humanize }} tokens/s over the last ${w} with no price: cost budgets count them as $0.`,
    dashboard: 'spend',
    vars: { model: '{{ $labels.model }}' },
  });
  const f = fixture({ job: config.job, provider: 'openai', model: 'gpt-9-preview' });
  const evalTime = after(1, w, config.unpriced.for);
  const n = samplesFor(evalTime);
  // 60 tokens a minute is 1 token/s.
  const stoppedAt = Math.ceil(durationSeconds(evalTime) / 60) - Math.ceil(durationSeconds(w) / 60) - 1;
  return {
    rule: r,
    fires: {
      title: 'unpriced tokens in the window',
      interval: '1m',
      series: [f.of('bursar_unpriced_tokens_total', `0+60x${n}`)],
      evalTime,
      expected: [
        expectFiring(
          r,
          f.output,
          `openai model gpt-9-preview used 1 tokens/s over the last ${w} with no price: cost budgets count them as $0.`,
        ),
      ],
    },
    quiet: [
      {
        title: `unpriced tokens only before the ${w} window`,
        interval: '1m',
        series: [f.of('bursar_unpriced_tokens_total', `0+60x${stoppedAt} ${60 * stoppedAt}x${n}`)],
        evalTime,
        expected: [],
      },
    ],
  };
}

export function reservationsExpiring(config: AlertConfig): AlertDefinition {
  const { window: w, count } = config.reservationsExpired;
  const r = rule(config, 'BursarReservationsExpiring', {
    expr: `sum without (instance) (increase(${sel(config, 'bursar_reservations_expired_total')}[${w}])) > ${count}`,
    for: config.reservationsExpired.for,
    labels: { severity: 'warning' },
    summary: 'Reservations expire without a commit or release: callers leak them.',
    description: `{{ $value | humanize }} reservations expired uncommitted in the last ${w} (more than ${count}); their estimates held budget until they expired.`,
    dashboard: 'health',
  });
  const f = fixture({ job: config.job });
  // Ten samples per window: `count` per window is `count / 10` a sample, exactly.
  const step = durationSeconds(w) / 10;
  const evalSeconds =
    Math.ceil((durationSeconds(w) + durationSeconds(config.reservationsExpired.for)) / step) * step +
    2 * step;
  const evalTime: Duration = `${evalSeconds}s`;
  const n = evalSeconds / step + 10;
  const counter = (perWindow: number): InputSeries[] => [
    f.of('bursar_reservations_expired_total', `0+${perWindow / 10}x${n}`),
  ];
  return {
    rule: r,
    fires: {
      title: `${2 * count} expired in the window`,
      interval: `${step}s`,
      series: counter(2 * count),
      evalTime,
      expected: [
        expectFiring(
          r,
          f.output,
          `${2 * count} reservations expired uncommitted in the last ${w} (more than ${count}); their estimates held budget until they expired.`,
        ),
      ],
    },
    quiet: [
      {
        title: `exactly ${count} expired in the window`,
        interval: `${step}s`,
        series: counter(count),
        evalTime,
        expected: [],
      },
    ],
  };
}

export function ingestErrors(config: AlertConfig): AlertDefinition {
  const { window: w, ratio } = config.ingestErrors;
  const r = rule(config, 'BursarIngestErrors', {
    expr:
      `${summedRate(config, 'bursar_ingest_requests_total', w, 'code=~"4..|5.."', 'code')}\n` +
      `/ ${summedRate(config, 'bursar_ingest_requests_total', w, '', 'code')}\n> ${ratio}`,
    for: config.ingestErrors.for,
    labels: { severity: 'warning' },
    summary: 'Ingest requests are being refused: senders retry or drop that usage.',
    description: `{{ $value | humanizePercentage }} of {{ $labels.signal }} ingest requests were answered 4xx/5xx over the last ${w} (alerting above ${ratio * 100}%).`,
    dashboard: 'health',
  });
  const f = fixture({ job: config.job, signal: 'traces' });
  const evalTime = after(1, w, config.ingestErrors.for);
  const n = samplesFor(evalTime);
  // 300 requests a minute; `bad` of them answered 500 (or 400).
  const traffic = (bad: number, code: string): InputSeries[] => [
    f.of('bursar_ingest_requests_total', `0+${300 - bad}x${n}`, { code: '200' }),
    f.of('bursar_ingest_requests_total', `0+${bad}x${n}`, { code }),
  ];
  const atRatio = 300 * ratio;
  return {
    rule: r,
    fires: {
      title: '10% answered 500',
      interval: '1m',
      series: traffic(30, '500'),
      evalTime,
      expected: [
        expectFiring(
          r,
          f.output,
          `10% of traces ingest requests were answered 4xx/5xx over the last ${w} (alerting above ${ratio * 100}%).`,
        ),
      ],
    },
    quiet: [
      {
        title: `exactly ${ratio * 100}% answered 400`,
        interval: '1m',
        series: traffic(atRatio, '400'),
        evalTime,
        expected: [],
      },
    ],
  };
}

export function denialSpike(config: AlertConfig): AlertDefinition {
  const { window: w, ratio, minPerSecond } = config.denials;
  const denies = summedRate(config, 'bursar_decisions_total', w, 'decision="deny"', 'decision');
  const r = rule(config, 'BursarDenialSpike', {
    expr:
      `(\n  ${denies}\n/ ${summedRate(config, 'bursar_decisions_total', w, '', 'decision')}\n) > ${ratio}\n` +
      `and\n${denies} > ${minPerSecond}`,
    for: config.denials.for,
    labels: { severity: 'warning' },
    summary: 'Many calls are being denied by a budget.',
    description: `{{ $value | humanizePercentage }} of the decisions on budget {{ $labels.budget }} were denials over the last ${w}.`,
    dashboard: 'budgets',
    vars: { budget: '{{ $labels.budget }}' },
  });
  const f = fixture({ job: config.job, budget: 'team-a' });
  const evalTime = after(1, w, config.denials.for);
  const n = samplesFor(evalTime);
  const decisions = (deny: number, allow: number): InputSeries[] => [
    f.of('bursar_decisions_total', `0+${deny}x${n}`, { decision: 'deny' }),
    f.of('bursar_decisions_total', `0+${allow}x${n}`, { decision: 'allow' }),
  ];
  const minPerMinute = minPerSecond * 60;
  return {
    rule: r,
    fires: {
      title: 'half of the decisions are denials',
      interval: '1m',
      series: decisions(30, 30),
      evalTime,
      expected: [
        expectFiring(r, f.output, `50% of the decisions on budget team-a were denials over the last ${w}.`),
      ],
    },
    quiet: [
      {
        title: `denials exactly ${ratio * 100}% of the decisions`,
        interval: '1m',
        series: decisions(60 * ratio, 60 * (1 - ratio)),
        evalTime,
        expected: [],
      },
      {
        title: `every decision a denial, but under ${minPerSecond}/s`,
        interval: '1m',
        series: decisions(minPerMinute / 2, 0),
        evalTime,
        expected: [],
      },
    ],
  };
}

export function serviceDown(config: AlertConfig): AlertDefinition {
  // absent() has no labels: the job is named in the rule, and the description asks Prometheus.
  const down = `count(up{job="${config.job}"} == 0)`;
  const r = rule(config, 'BursarDown', {
    expr: `absent(up{job="${config.job}"} == 1)`,
    for: config.down.for,
    labels: { severity: 'critical', job: config.job },
    summary: 'No bursar replica can be scraped.',
    description:
      `No target of job ${config.job} has answered a scrape for ${config.down.for} ` +
      `({{ with query ${JSON.stringify(down)} }}{{ . | first | value | humanize }} down{{ else }}no target known{{ end }}): ` +
      'budgets are not enforced through the service and its usage is not exported.',
    dashboard: 'health',
  });
  const evalTime = after(1, config.down.for);
  const n = samplesFor(evalTime);
  const up = (v: number): InputSeries[] => [
    { series: `up{job="${config.job}",instance="bursar-0:8013"}`, values: `${v}x${n}` },
  ];
  const text = (state: string) =>
    `No target of job ${config.job} has answered a scrape for ${config.down.for} (${state}): ` +
    'budgets are not enforced through the service and its usage is not exported.';
  return {
    rule: r,
    fires: {
      title: 'the only target is down',
      interval: '1m',
      series: up(0),
      evalTime,
      expected: [expectFiring(r, {}, text('1 down'))],
    },
    quiet: [{ title: 'the target is up', interval: '1m', series: up(1), evalTime, expected: [] }],
    more: [
      {
        title: 'the job has no target at all',
        interval: '1m',
        series: [{ series: `up{job="other",instance="other-0:9090"}`, values: `1x${n}` }],
        evalTime,
        expected: [expectFiring(r, {}, text('no target known'))],
      },
    ],
  };
}

export function watchdog(config: AlertConfig): AlertDefinition {
  const r = rule(config, 'BursarWatchdog', {
    expr: 'vector(1)',
    for: config.watchdog.for,
    labels: { severity: 'info' },
    summary: 'Always firing: proves that rules are evaluated and alerts reach Alertmanager.',
    description:
      'Always firing, from the Prometheus{{ with $externalLabels.cluster }} of cluster {{ . }}{{ end }} that evaluates ' +
      "bursar's rules. Alertmanager routes it to a dead man's switch, which pages when it stops arriving.",
    dashboard: 'health',
  });
  const up: InputSeries[] = [{ series: `up{job="${config.job}",instance="bursar-0:8013"}`, values: '1x30' }];
  return {
    rule: r,
    fires: {
      title: 'always, once `for` has passed',
      interval: '1m',
      series: up,
      evalTime: after(1, config.watchdog.for),
      externalLabels: { cluster: 'eu-1' },
      expected: [
        expectFiring(
          r,
          {},
          "Always firing, from the Prometheus of cluster eu-1 that evaluates bursar's rules. Alertmanager routes it to a dead man's switch, which pages when it stops arriving.",
        ),
      ],
    },
    quiet: [
      { title: 'not yet: pending during `for`', interval: '1m', series: up, evalTime: '0m', expected: [] },
    ],
  };
}
