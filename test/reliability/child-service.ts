import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import type { ServiceConfigInput } from '../../src/service/config/config-schema.ts';

/**
 * `bursar serve` as a real child process (src/cli/main.ts with a config file), for the
 * tests that must kill it (SIGKILL mid-write), restart it on the same ports and data
 * directory, or read its own memory apart from the test's.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const MAIN = path.join(ROOT, 'src/cli/main.ts');

/** Loopback ports free right now (bound to port 0 and released). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createServer());
  const ports: number[] = [];
  for (const s of servers) {
    s.listen(0, '127.0.0.1');
    await once(s, 'listening');
    ports.push((s.address() as { port: number }).port);
  }
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** Writes bursar.yaml into `dir`; returns its path. */
export function writeConfig(dir: string, config: ServiceConfigInput, name = 'bursar.yaml'): string {
  const file = path.join(dir, name);
  writeFileSync(file, stringify(config));
  return file;
}

export interface ChildService {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly apiUrl: string;
  readonly otlpUrl: string;
  /** Every stdout line (the JSON log) and stderr line, as written. */
  readonly output: string[];
  /** Resolves when the process has exited, with how. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resident set size of the service process now, from /proc (Linux). */
  rssBytes(): number;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (graceful: everything accepted is committed), and wait for the exit. */
  stop(): Promise<number | null>;
}

/** Resident set size of a process, from /proc/<pid>/status. */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) * 1024;
}

/**
 * Spawns `bursar serve --config <file>` and resolves once it logs where it listens (an info
 * line: the config must keep log.level at info or below).
 * Rejects (with its output) if it exits first or does not come up within `timeoutMs`.
 */
export async function spawnService(
  configFile: string,
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; nodeArgs?: string[] } = {},
): Promise<ChildService> {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), MAIN, 'serve', '--config', configFile],
    {
      cwd: options.cwd ?? path.dirname(configFile),
      env: { ...process.env, BURSAR_CONFIG: '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
  const lines = createInterface({ input: child.stdout! });
  const urls = await new Promise<{ api: string; otlp: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bursar serve did not start:\n${output.join('\n')}`));
    }, options.timeoutMs ?? 20_000);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`bursar serve exited early (${code ?? signal}):\n${output.join('\n')}`));
    });
    lines.on('line', (line) => {
      output.push(line);
      if (!line.includes('"api"')) return;
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (typeof entry.api === 'string' && typeof entry.otlp === 'string') {
        clearTimeout(timer);
        resolve({ api: entry.api, otlp: entry.otlp });
      }
    });
  });
  const pid = child.pid!;
  return {
    child,
    pid,
    apiUrl: urls.api,
    otlpUrl: urls.otlp,
    output,
    exited,
    rssBytes: () => rssOf(pid),
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return (await exited).code;
    },
  };
}
