import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

/** One sample of a text exposition. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function unescape(v: string): string {
  return v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function parseValue(v: string): number {
  if (v === '+Inf') return Number.POSITIVE_INFINITY;
  if (v === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(v);
}

/** Parses the Prometheus text format (enough for assertions: no timestamps, no exemplars). */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`unparseable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = unescape(l[2]!);
    out.push({ name: m[1]!, labels, value: parseValue(m[3]!) });
  }
  return out;
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** The value of the series with exactly these labels, or undefined. */
export function valueOf(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return samples.find((s) => s.name === name && sameLabels(s.labels, labels))?.value;
}

export function seriesOf(samples: Sample[], name: string): Sample[] {
  return samples.filter((s) => s.name === name);
}

/** promtool from the Debian prometheus package. Missing → an error (the test fails, never skips). */
export function promtoolPath(): string {
  for (const p of ['/usr/bin/promtool', '/usr/local/bin/promtool']) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // try the next place
    }
  }
  throw new Error('promtool is missing: run scripts/ensure-test-servers.sh (Debian package prometheus)');
}

/** Runs `promtool check metrics` on an exposition; resolves with its exit code and output. */
export function promtoolCheckMetrics(text: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(promtoolPath(), ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  child.stdin.end(text);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}
