import { readFileSync } from 'node:fs';

/**
 * Top self-time functions of a V8 CPU profile (`node --cpu-prof`), by function and
 * location, plus the same grouped by script: where a profiled loop spends its time.
 *
 *   node bench/profile-report.ts <file.cpuprofile> [top=40]
 */
interface Node {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg = '40'] = process.argv.slice(2);
if (!file) throw new Error('usage: node bench/profile-report.ts <file.cpuprofile> [top]');
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
const byScript = new Map<string, number>();
let total = 0;
p.samples.forEach((id, i) => {
  const dt = p.timeDeltas[i] ?? 0;
  const n = byId.get(id)!;
  const f = n.callFrame;
  const short = f.url.replace(/^file:\/\/\/work\/main\//, '').replace(/^.*node_modules\//, 'nm/');
  const key = `${f.functionName || '(anon)'}  ${short}:${f.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + dt);
  const script = short.startsWith('nm/') ? short.split('/').slice(0, 3).join('/') : short || f.functionName;
  byScript.set(script, (byScript.get(script) ?? 0) + dt);
  total += dt;
});
// Inclusive time: each sample counts once for every distinct function on its stack.
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const keyOf = (n: Node) => {
  const f = n.callFrame;
  const short = f.url.replace(/^file:\/\/\/work\/main\//, '').replace(/^.*node_modules\//, 'nm/');
  return `${f.functionName || '(anon)'}  ${short}:${f.lineNumber + 1}`;
};
const inclusive = new Map<string, number>();
p.samples.forEach((id, i) => {
  const dt = p.timeDeltas[i] ?? 0;
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const k = keyOf(byId.get(cur)!);
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
  }
});
const pct = (v: number) => `${((v / total) * 100).toFixed(1).padStart(5)}%`;
console.log(`total ${(total / 1e3).toFixed(0)} ms sampled`);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg)))
  console.log(`${pct(v)}  ${k}`);
const filter = process.argv[4];
console.log(`\ninclusive${filter ? ` (${filter})` : ''}:`);
for (const [k, v] of [...inclusive]
  .filter(([k]) => !filter || k.includes(filter))
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(topArg)))
  console.log(`${pct(v)}  ${k}`);
console.log('\nby script:');
for (const [k, v] of [...byScript].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${pct(v)}  ${k}`);
