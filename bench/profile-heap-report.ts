import { readFileSync } from 'node:fs';

/**
 * Allocation by function from a sampling heap profile (`node --heap-prof`): which code
 * allocates the bytes a loop churns through (self, and inclusive of callees).
 *
 *   node bench/profile-heap-report.ts <file.heapprofile> [top=30] [filter]
 */
interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}
const [file, topArg = '30', filter] = process.argv.slice(2);
if (!file) throw new Error('usage: node bench/profile-heap-report.ts <file.heapprofile> [top] [filter]');
const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode };
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
const keyOf = (n: HeapNode) => {
  const f = n.callFrame;
  const short = f.url.replace(/^file:\/\/\/work\/main\//, '').replace(/^.*node_modules\//, 'nm/');
  return `${f.functionName || '(anon)'}  ${short}:${f.lineNumber + 1}`;
};
function walk(n: HeapNode, stack: Set<string>): number {
  const k = keyOf(n);
  let size = n.selfSize;
  self.set(k, (self.get(k) ?? 0) + n.selfSize);
  total += n.selfSize;
  const added = !stack.has(k);
  if (added) stack.add(k);
  for (const c of n.children) size += walk(c, stack);
  if (added) {
    stack.delete(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + size);
  }
  return size;
}
walk(head, new Set());
const pct = (v: number) => `${((v / total) * 100).toFixed(1).padStart(5)}%`;
console.log(`sampled ${(total / 2 ** 20).toFixed(1)} MB`);
console.log('self:');
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg)))
  console.log(`${pct(v)}  ${k}`);
console.log(`inclusive${filter ? ` (${filter})` : ''}:`);
for (const [k, v] of [...inclusive]
  .filter(([k]) => !filter || k.includes(filter))
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(topArg)))
  console.log(`${pct(v)}  ${k}`);

// With a filter: the allocations under the first function it names, by allocating function.
if (filter) {
  const under = new Map<string, number>();
  const visit = (n: HeapNode, inside: boolean) => {
    const k = keyOf(n);
    const now = inside || k.includes(filter);
    if (now) under.set(k, (under.get(k) ?? 0) + n.selfSize);
    for (const c of n.children) visit(c, now);
  };
  visit(head, false);
  console.log(`allocated under ${filter}, by function:`);
  for (const [k, v] of [...under].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg)))
    console.log(`${pct(v)}  ${k}`);
}
