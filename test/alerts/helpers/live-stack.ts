import { readFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { parse, stringify } from 'yaml';
import { type AlertConfig, type Duration, defaultAlertConfig } from '../../../alerts/generator/config.ts';
import { ALERTS_DIR, renderYaml } from '../../../alerts/generator/render.ts';
import { rulesDocument } from '../../../alerts/generator/rule-files.ts';
import { periodWindow } from '../../../src/budget/period.ts';
import { startTestService, type TestService } from '../../helpers/service.ts';
import { type Alertmanager, startAlertmanager } from './alertmanager.ts';
import { type GenAiTarget, startGenAiTarget } from './genai-target.ts';
import { type Prometheus, startPrometheus } from './prometheus.ts';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';

/**
 * Everything the live monitoring test runs, for real, on loopback: the bursar service with a
 * one-hour HARD budget on a controllable clock, agent-side GenAI telemetry, Alertmanager
 * (routing tree and inhibition of alerts/alertmanager.example.yml, receivers pointed at a
 * webhook receiver in the test) and Prometheus (1 s scrape and evaluation, bursar's rules
 * rendered by the generator with every `for` at 1 s).
 */

export const BUDGET = 'live-hard';
export const LIMIT = 1000;
export const GENAI_JOBS = ['genai-otel-js', 'genai-otlp'] as const;

/** The alert config with every `for` at 1 s: windows and thresholds stay the shipped ones. */
export function liveAlertConfig(): AlertConfig {
  const c = structuredClone(defaultAlertConfig);
  const fast: Duration = '1s';
  for (const k of [
    'threshold',
    'exceeded',
    'projected',
    'exhaustion',
    'unpriced',
    'reservationsExpired',
    'ingestErrors',
    'denials',
    'down',
    'watchdog',
  ] as const)
    c[k].for = fast;
  for (const pair of Object.values(c.burnRate)) for (const w of [pair.fast, pair.slow]) w.for = fast;
  return c;
}

interface AmRoute {
  group_wait?: string;
  group_interval?: string;
  routes?: AmRoute[];
}

/** The example's routes and inhibitions, 1 s grouping, each receiver a webhook at `<url>/am/<name>`. */
export function liveAlertmanagerConfig(receiverUrl: string): string {
  const config = parse(readFileSync(path.join(ALERTS_DIR, 'alertmanager.example.yml'), 'utf8')) as {
    route: AmRoute;
    receivers: { name: string }[];
  };
  const shorten = (r: AmRoute) => {
    r.group_wait = '1s';
    r.group_interval = '1s';
    for (const child of r.routes ?? []) shorten(child);
  };
  shorten(config.route);
  config.receivers = config.receivers.map((r) =>
    r.name === 'blackhole'
      ? r
      : { name: r.name, webhook_configs: [{ url: `${receiverUrl}/am/${r.name}`, send_resolved: true }] },
  );
  return stringify(config);
}

export interface LiveStack {
  service: TestService;
  prometheus: Prometheus;
  alertmanager: Alertmanager;
  receiver: WebhookReceiver;
  genai: GenAiTarget;
  /** The service's clock (epoch ms): real time moved to 5 minutes into the current hour. */
  now(): number;
  /** Moves the service's clock to 1 s into the next hour: the budget's period rolls over. */
  rollOver(): void;
  /** Unix seconds when everything was up and scraped. */
  startedAt: number;
  close(): Promise<void>;
}

export async function startLiveStack(): Promise<LiveStack> {
  const closers: (() => Promise<unknown> | void)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await Promise.resolve(c()).catch(() => {});
  };
  try {
    const real = Date.now();
    // 5 minutes into an hour: the test never straddles a real hour boundary by accident.
    let offset = Math.floor(real / 3_600_000) * 3_600_000 + 300_000 - real;
    const now = () => Date.now() + offset;

    const receiver = await startWebhookReceiver();
    closers.push(() => receiver.close());
    const service = await startTestService(
      {
        budgets: [
          {
            id: BUDGET,
            selector: { tenant: 'acme' },
            resource: 'tokens',
            period: 'hour',
            limit: LIMIT,
            policy: 'HARD_LIMIT',
          },
        ],
        metrics: { maxValuesPerLabel: 4 },
        webhooks: [{ url: `${receiver.url}/bursar`, events: ['threshold_crossed', 'budget_exceeded'] }],
        expirySweepMs: 200,
        // The unresponsive WebSocket client of connectWebSockets is dropped within a second.
        websocket: { heartbeatMs: 500 },
        log: { level: 'warn' },
      },
      { now },
    );
    closers.push(() => service.stop());
    const genai = await startGenAiTarget();
    closers.push(() => genai.close());
    const alertmanager = await startAlertmanager(liveAlertmanagerConfig(receiver.url));
    closers.push(() => alertmanager.stop());
    const config = liveAlertConfig();
    const prometheus = await startPrometheus({
      targets: [
        { job: config.job, target: new URL(service.apiUrl).host },
        { job: GENAI_JOBS[0], target: genai.address, path: '/otel-js' },
        { job: GENAI_JOBS[1], target: genai.address, path: '/otlp' },
      ],
      rulesYaml: await renderYaml(rulesDocument(config), 'rules.yml'),
      alertmanager: alertmanager.address,
    });
    closers.push(() => prometheus.stop());
    // Static targets are picked up by Prometheus' discovery loop after about 5 s.
    await prometheus.waitFor(`up{job="${config.job}"} == 1`, 30_000);
    for (const job of GENAI_JOBS) await prometheus.waitFor(`up{job="${job}"} == 1`, 30_000);

    return {
      service,
      prometheus,
      alertmanager,
      receiver,
      genai,
      now,
      rollOver() {
        const t = now();
        offset += periodWindow('hour', 'UTC', t).end - t + 1000;
      },
      startedAt: Date.now() / 1000,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * WebSocket clients for the WebSocket panels: one that reads /ws, and one that never answers
 * pings, which the service drops as unresponsive on its second heartbeat (websocket.heartbeatMs).
 */
export async function connectWebSockets(apiUrl: string): Promise<() => void> {
  const base = apiUrl.replace(/^http/, 'ws');
  const reader = new WebSocket(`${base}/ws`);
  const silent = new WebSocket(`${base}/ws/alerts`, { autoPong: false });
  await Promise.all(
    [reader, silent].map(
      (ws) =>
        new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve());
          ws.once('error', reject);
        }),
    ),
  );
  return () => {
    reader.terminate();
    silent.terminate();
  };
}
