import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { freePort, type RunningProcess, startServer } from './process.ts';

export interface ScrapeTarget {
  job: string;
  /** host:port */
  target: string;
  path?: string;
}

export interface PromSeries {
  metric: Record<string, string>;
  values?: [number, string][];
  value?: [number, string];
}

interface ApiAnswer<T> {
  status: 'success' | 'error';
  data: T;
  error?: string;
}

export interface Prometheus {
  readonly url: string;
  /** Range query over [start, end] (Unix seconds), step 1 s; throws with Prometheus' error. */
  queryRange(expr: string, start: number, end: number): Promise<PromSeries[]>;
  query(expr: string): Promise<PromSeries[]>;
  labelValues(label: string, match: string, start: number, end: number): Promise<string[]>;
  /** Polls `expr` until it returns a series (or `timeoutMs` passes). */
  waitFor(expr: string, timeoutMs: number): Promise<PromSeries[]>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * A real Prometheus on a loopback port with a temporary TSDB: 1 s scrape and rule evaluation,
 * the given rules, alerts sent to the given Alertmanager (re-sent every second).
 */
export async function startPrometheus(options: {
  targets: ScrapeTarget[];
  rulesYaml: string;
  alertmanager: string;
}): Promise<Prometheus> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bursar-prometheus-'));
  writeFileSync(path.join(dir, 'rules.yml'), options.rulesYaml);
  writeFileSync(
    path.join(dir, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: ['rules.yml'],
      alerting: { alertmanagers: [{ static_configs: [{ targets: [options.alertmanager] }] }] },
      scrape_configs: options.targets.map((t) => ({
        job_name: t.job,
        metrics_path: t.path ?? '/metrics',
        static_configs: [{ targets: [t.target] }],
      })),
    }),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let proc: RunningProcess;
  try {
    proc = await startServer(
      'prometheus',
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--rules.alert.resend-delay=1s',
        '--log.level=warn',
      ],
      `${url}/-/ready`,
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  async function api<T>(route: string, params: Record<string, string | string[]>): Promise<T> {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) for (const x of [v].flat()) search.append(k, x);
    const res = await fetch(`${url}/api/v1/${route}?${search}`);
    const answer = (await res.json()) as ApiAnswer<T>;
    if (answer.status !== 'success') throw new Error(`Prometheus ${route} failed: ${answer.error}`);
    return answer.data;
  }

  const query = async (expr: string) =>
    (await api<{ result: PromSeries[] }>('query', { query: expr })).result;
  return {
    url,
    async queryRange(expr, start, end) {
      const data = await api<{ result: PromSeries[] }>('query_range', {
        query: expr,
        start: String(start),
        end: String(end),
        step: '1',
      });
      return data.result;
    },
    query,
    labelValues: (label, match, start, end) =>
      api<string[]>(`label/${encodeURIComponent(label)}/values`, {
        'match[]': match,
        start: String(start),
        end: String(end),
      }),
    async waitFor(expr, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const result = await query(expr);
        if (result.length > 0) return result;
        if (performance.now() > deadline) throw new Error(`no result for ${expr} within ${timeoutMs} ms`);
        await sleep(250);
      }
    },
    output: () => proc.output(),
    async stop() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
