import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';

const root = path.resolve(import.meta.dirname, '../..');

/** A `bursar serve` child process: the real CLI, the real service, its own ports. */
export interface Replica {
  child: ChildProcess;
  api: string;
  lines: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Starts `bursar serve --config <file>` on ports 0 and waits for the line saying where it listens. */
export async function startReplica(configFile: string, cwd: string): Promise<Replica> {
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'src/cli/main.ts'),
      'serve',
      '--config',
      configFile,
      '--otlp-port',
      '0',
      '--api-port',
      '0',
    ],
    { cwd, env: { ...process.env, BURSAR_CONFIG: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines: Record<string, unknown>[] = [];
  const rl = createInterface({ input: child.stdout! });
  const api = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bursar serve exited with ${code}: ${stderr}`)));
    rl.on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      lines.push(entry);
      if (typeof entry.api === 'string') resolve(entry.api);
    });
  });
  return {
    child,
    api,
    lines,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export function writeConfig(file: string, config: Record<string, unknown>): string {
  writeFileSync(file, stringify(config));
  return file;
}

export async function api(
  base: string,
  method: string,
  p: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** The sum of every sample of a metric family in a replica's /metrics. */
export async function metricSum(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** A small seeded PRNG (mulberry32): the same seed, the same client choices. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function until(what: string, ok: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
