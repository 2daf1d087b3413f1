// A client that reserves and never commits: the multi-process test kills it (SIGKILL) in the
// middle of its calls, as a crashed agent would die. One line per reservation it was granted.
// argv: comma-separated API base URLs, the scope as JSON, the reservation TTL in ms.
const [urls, scopeJson, ttl] = process.argv.slice(2) as [string, string, string];
const bases = urls.split(',');
const scope = JSON.parse(scopeJson) as Record<string, string>;
let n = 0;
async function worker(): Promise<never> {
  for (;;) {
    const base = bases[n++ % bases.length]!;
    const res = await fetch(`${base}/v1/reservations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ scope, estimate: { inputTokens: 7 }, ttlMs: Number(ttl) }),
    });
    const body = (await res.json()) as { reservation?: { id: string } };
    if (res.status === 201) process.stdout.write(`reserved ${body.reservation!.id}\n`);
  }
}
await Promise.all(Array.from({ length: 8 }, worker));
