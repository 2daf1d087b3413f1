import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, type RunningProcess, startServer } from './process.ts';

export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; inhibitedBy: string[]; silencedBy: string[] };
}

export interface Alertmanager {
  /** host:port, for Prometheus' alerting config. */
  readonly address: string;
  /** The alerts Alertmanager holds, optionally filtered by label matchers (`alertname="X"`). */
  alerts(...matchers: string[]): Promise<AmAlert[]>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * A real Alertmanager on a loopback port: no cluster listener (`--cluster.listen-address=`),
 * a temporary storage directory, the given configuration.
 */
export async function startAlertmanager(configYaml: string): Promise<Alertmanager> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bursar-alertmanager-'));
  writeFileSync(path.join(dir, 'alertmanager.yml'), configYaml);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let proc: RunningProcess;
  try {
    proc = await startServer(
      'prometheus-alertmanager',
      [
        `--config.file=${path.join(dir, 'alertmanager.yml')}`,
        `--storage.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      `${url}/-/ready`,
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    address: `127.0.0.1:${port}`,
    async alerts(...matchers) {
      const q = new URLSearchParams();
      for (const m of matchers) q.append('filter', m);
      const res = await fetch(`${url}/api/v2/alerts?${q}`);
      if (!res.ok) throw new Error(`Alertmanager /api/v2/alerts: ${res.status} ${await res.text()}`);
      return (await res.json()) as AmAlert[];
    },
    output: () => proc.output(),
    async stop() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
