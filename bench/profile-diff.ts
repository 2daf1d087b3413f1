import { readFileSync } from 'node:fs';

/**
 * Where an instrumented loop spends more than the bare one: self time per call of each
 * function in two CPU profiles (`node --cpu-prof`), the second minus the first, largest
 * differences first. Calls are what the profiled loops reported.
 *
 *   node bench/profile-diff.ts <bare.cpuprofile> <bareCalls> <other.cpuprofile> <otherCalls> [top=40]
 */
interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}
const [fa, na, fb, nb, topArg = '40'] = process.argv.slice(2);
if (!fa || !na || !fb || !nb)
  throw new Error('usage: profile-diff a.cpuprofile callsA b.cpuprofile callsB [top]');
const key = (n: Node) => {
  const f = n.callFrame;
  const short = f.url.replace(/^file:\/\/\/work\/main\//, '').replace(/^.*node_modules\//, 'nm/');
  return `${f.functionName || '(anon)'}  ${short}:${f.lineNumber + 1}`;
};
function selfPerCall(file: string, calls: number): Map<string, number> {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const out = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const k = key(byId.get(id)!);
    out.set(k, (out.get(k) ?? 0) + (p.timeDeltas[i] ?? 0) / calls);
  });
  return out;
}
const a = selfPerCall(fa, Number(na));
const b = selfPerCall(fb, Number(nb));
const keys = new Set([...a.keys(), ...b.keys()]);
const rows = [...keys].map((k) => [k, (b.get(k) ?? 0) - (a.get(k) ?? 0)] as const);
const total = (m: Map<string, number>) => [...m.values()].reduce((x, y) => x + y, 0);
console.log(
  `per call: ${total(a).toFixed(2)} µs → ${total(b).toFixed(2)} µs (+${(total(b) - total(a)).toFixed(2)} µs)`,
);
for (const [k, d] of rows.sort((x, y) => Math.abs(y[1]) - Math.abs(x[1])).slice(0, Number(topArg)))
  console.log(`${d >= 0 ? '+' : ''}${d.toFixed(2).padStart(6)} µs  ${k}`);
