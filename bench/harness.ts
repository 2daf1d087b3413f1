/**
 * A small benchmark harness: runs `op` in rounds of `batch` calls, reports the median
 * time per call over the rounds (and the spread), after a warm-up. Side-by-side rows
 * in one run make ratios meaningful on a noisy machine.
 */
export interface Result {
  name: string;
  /** Median ns per operation. */
  nsPerOp: number;
  /** Operations per second at the median. */
  opsPerSec: number;
  /** Fastest and slowest round, ns per op. */
  minNs: number;
  maxNs: number;
}

export async function measure(
  name: string,
  op: (batch: number) => Promise<void> | void,
  { batch = 10_000, rounds = 15, warmup = 3 } = {},
): Promise<Result> {
  for (let i = 0; i < warmup; i++) await op(batch);
  const perOp: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = process.hrtime.bigint();
    await op(batch);
    perOp.push(Number(process.hrtime.bigint() - t0) / batch);
  }
  perOp.sort((a, b) => a - b);
  const nsPerOp = perOp[Math.floor(perOp.length / 2)]!;
  return { name, nsPerOp, opsPerSec: 1e9 / nsPerOp, minNs: perOp[0]!, maxNs: perOp.at(-1)! };
}

/** One row from several passes of the same case: the median of the pass medians, min and max over all. */
export function medianOfPasses(passes: Result[]): Result {
  const sorted = [...passes].sort((x, y) => x.nsPerOp - y.nsPerOp);
  const mid = sorted[Math.floor(sorted.length / 2)]!;
  return {
    ...mid,
    minNs: Math.min(...passes.map((p) => p.minNs)),
    maxNs: Math.max(...passes.map((p) => p.maxNs)),
  };
}

export function fmtNs(ns: number): string {
  return ns >= 1e6
    ? `${(ns / 1e6).toFixed(2)} ms`
    : ns >= 1e3
      ? `${(ns / 1e3).toFixed(2)} µs`
      : `${ns.toFixed(0)} ns`;
}

export function fmtRate(ops: number): string {
  return ops >= 1e6
    ? `${(ops / 1e6).toFixed(2)}M/s`
    : ops >= 1e3
      ? `${(ops / 1e3).toFixed(1)}k/s`
      : `${ops.toFixed(0)}/s`;
}

export interface Section {
  title: string;
  target: string;
  rows: Result[];
  /** Extra lines: ratios, verdicts. */
  notes: string[];
}

export function renderSection(s: Section): string {
  const lines = [
    `### ${s.title}`,
    '',
    `Target: ${s.target}`,
    '',
    '| case | median per op | rate | min–max per op |',
    '|---|---|---|---|',
  ];
  for (const r of s.rows)
    lines.push(
      `| ${r.name} | ${fmtNs(r.nsPerOp)} | ${fmtRate(r.opsPerSec)} | ${fmtNs(r.minNs)}–${fmtNs(r.maxNs)} |`,
    );
  if (s.notes.length) lines.push('', ...s.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}
