import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultAlertConfig } from '../../alerts/generator/config.ts';
import { ALERTS_DIR } from '../../alerts/generator/render.ts';
import { committedDashboards } from '../dashboards/committed.ts';
import { labelValuesQuery, metricNames, panelQueries, substitute } from '../dashboards/promql.ts';
import {
  BUDGET,
  connectWebSockets,
  GENAI_JOBS,
  type LiveStack,
  startLiveStack,
} from './helpers/live-stack.ts';
import type { NotifiedAlert } from './helpers/webhook-receiver.ts';
import { backgroundUsage, recordTokens } from './helpers/usage-driver.ts';

/**
 * End to end on loopback: the real service, Prometheus loading bursar's generated rules,
 * Alertmanager routing with the example's tree to a webhook receiver in this test. Usage past
 * 90% and 100% of a one-hour HARD budget delivers the warning and the critical within 15 s each;
 * rolling the period over resolves them; every dashboard query returns data from this Prometheus.
 */

const DELIVERY_MS = 15_000;
let stack: LiveStack;
let closeSockets: () => void = () => {};

beforeAll(async () => {
  stack = await startLiveStack();
  closeSockets = await connectWebSockets(stack.service.apiUrl);
  await backgroundUsage(stack.service, stack.now());
}, 90_000);

afterAll(async () => {
  closeSockets();
  await stack?.close();
}, 30_000);

const alertIs = (name: string, status: 'firing' | 'resolved') => (a: NotifiedAlert) =>
  a.labels.alertname === name && a.labels.budget === BUDGET && a.status === status;

describe('alerts from a real Prometheus through a real Alertmanager', () => {
  it('delivers BursarBudgetThresholdReached to the ticket receiver within 15 s of usage reaching 90%', async () => {
    await recordTokens(stack.service, stack.now(), 900);
    const a = await stack.receiver.waitForAlert(
      '/am/ticket',
      alertIs('BursarBudgetThresholdReached', 'firing'),
      DELIVERY_MS,
    );
    expect(a.labels).toMatchObject({
      severity: 'warning',
      job: 'bursar',
      resource: 'tokens',
      period: 'hour',
    });
    expect(a.annotations).toEqual({
      summary: 'A budget reached its warning threshold.',
      description: `Budget ${BUDGET} (tokens per hour) is at 90% of its limit.`,
      runbook_url: `${defaultAlertConfig.runbookUrl}#bursarbudgetthresholdreached`,
      dashboard_url: `${defaultAlertConfig.grafanaUrl}/d/bursar-budgets-overview?var-budget=${BUDGET}`,
    });
  });

  it('delivers BursarBudgetExceeded to the pager receiver within 15 s of usage passing 100%', async () => {
    await recordTokens(stack.service, stack.now(), 150);
    const a = await stack.receiver.waitForAlert(
      '/am/pager',
      alertIs('BursarBudgetExceeded', 'firing'),
      DELIVERY_MS,
    );
    expect(a.labels).toMatchObject({
      severity: 'critical',
      job: 'bursar',
      resource: 'tokens',
      period: 'hour',
      policy: 'HARD_LIMIT',
      shadow: 'false',
    });
    expect(a.annotations.description).toBe(
      `Budget ${BUDGET} (tokens per hour) is at 105% of its limit. Policy HARD_LIMIT: calls are denied until the period ends.`,
    );
    expect(a.annotations.runbook_url).toBe(`${defaultAlertConfig.runbookUrl}#bursarbudgetexceeded`);
  });

  it('denies further calls and inhibits the warning while the critical fires', async () => {
    const denied = await stack.service.context.engine.reserve({
      scope: { tenant: 'acme', agent: 'planner' },
      provider: 'openai',
      model: 'gpt-4o-mini',
      estimate: { inputTokens: 10 },
    });
    expect(denied.decision.allowed).toBe(false);
    let state = '';
    for (let i = 0; i < 40 && state !== 'suppressed'; i++) {
      const [warning] = await stack.alertmanager.alerts(
        'alertname="BursarBudgetThresholdReached"',
        `budget="${BUDGET}"`,
      );
      state = warning?.status.state ?? 'missing';
      if (state === 'suppressed') expect(warning!.status.inhibitedBy.length).toBeGreaterThan(0);
      else await sleep(250);
    }
    expect(state).toBe('suppressed');
  });

  it('routes the Watchdog heartbeat to its own receiver', async () => {
    const a = await stack.receiver.waitForAlert(
      '/am/watchdog',
      (x) => x.labels.alertname === 'BursarWatchdog' && x.status === 'firing',
      DELIVERY_MS,
    );
    expect(a.labels.severity).toBe('info');
  });

  it('resolves both alerts once the period rolls over', async () => {
    stack.rollOver();
    const critical = await stack.receiver.waitForAlert(
      '/am/pager',
      alertIs('BursarBudgetExceeded', 'resolved'),
      DELIVERY_MS,
    );
    const warning = await stack.receiver.waitForAlert(
      '/am/ticket',
      alertIs('BursarBudgetThresholdReached', 'resolved'),
      DELIVERY_MS,
    );
    expect([critical.status, warning.status]).toEqual(['resolved', 'resolved']);
    const [u] = await stack.prometheus.query(`bursar_budget_utilization_ratio{budget="${BUDGET}"}`);
    expect(Number(u!.value![1])).toBe(0);
  });
});

describe('dashboards against that Prometheus', () => {
  const dashboards = committedDashboards();

  /** Waits until the slowest-arriving series (the WebSocket drop, on the 2nd heartbeat) has been scraped. */
  async function everythingScraped(): Promise<{ start: number; end: number }> {
    for (const expr of [
      'bursar_ws_clients_dropped_total',
      'bursar_reservations_expired_total > 0',
      'bursar_webhook_deliveries_total',
      'bursar_metric_label_overflow_total',
      'bursar_unpriced_tokens_total',
      'bursar_ingest_spans_total',
      `bursar_decisions_total{decision="deny"}`,
    ])
      await stack.prometheus.waitFor(expr, 90_000);
    await sleep(2000);
    return { start: Math.floor(stack.startedAt), end: Math.ceil(Date.now() / 1000) };
  }

  it('every panel query succeeds and returns data (macros substituted, variables All)', async () => {
    const { start, end } = await everythingScraped();
    const subst = { rateInterval: '4s', interval: '1s', range: `${end - start}s` };
    const empty: string[] = [];
    for (const d of dashboards)
      for (const q of panelQueries(d)) {
        const expr = substitute(q.expr, subst);
        const series = q.instant
          ? await stack.prometheus.query(expr)
          : await stack.prometheus.queryRange(expr, start, end);
        const values = series.flatMap((s) => (s.values ?? [s.value!]).map((v) => Number(v[1])));
        if (!values.some((v) => !Number.isNaN(v))) empty.push(`${d.title} / ${q.panel} ${q.refId}: ${expr}`);
      }
    expect(empty).toEqual([]);
  }, 150_000);

  it('GenAI panels show data under the OTel JS exporter names and the OTLP receiver names alike', async () => {
    const genai = dashboards.find((d) => d.uid === 'bursar-genai-client')!;
    const end = Math.ceil(Date.now() / 1000);
    const start = Math.floor(stack.startedAt);
    for (const job of GENAI_JOBS)
      for (const q of panelQueries(genai)) {
        const expr = substitute(q.expr, { rateInterval: '4s', interval: '1s', range: '60s', vars: { job } });
        const series = await stack.prometheus.queryRange(expr, start, end);
        expect(series.length, `${job} / ${q.panel}: ${expr}`).toBeGreaterThan(0);
      }
    const names = new Set([...(await stack.genai.names('otel-js')), ...(await stack.genai.names('otlp'))]);
    for (const q of panelQueries(genai))
      for (const n of metricNames(q.expr)) expect(names, `${q.panel}: ${n}`).toContain(n);
  });

  it('every label variable lists values', async () => {
    const end = Math.ceil(Date.now() / 1000);
    for (const d of dashboards)
      for (const v of d.templating.list.filter((x) => x.type === 'query')) {
        const { selector, label } = labelValuesQuery(v.query!);
        const match = substitute(selector, { rateInterval: '4s', interval: '1s', range: '60s' });
        const values = await stack.prometheus.labelValues(label, match, Math.floor(stack.startedAt), end);
        expect(values.length, `${d.title} $${v.name}`).toBeGreaterThan(0);
      }
  });

  it("the runbook's diagnostic PromQL runs", async () => {
    const runbook = readFileSync(path.join(ALERTS_DIR, 'RUNBOOK.md'), 'utf8');
    const queries = [...runbook.matchAll(/```promql\n([^`]+)```/g)].flatMap((m) =>
      m[1]!.split('\n').filter((l) => l.trim() !== ''),
    );
    expect(queries.length).toBeGreaterThan(20);
    for (const q of queries) await stack.prometheus.query(q.replaceAll('$BUDGET', BUDGET));
  });
});
