import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { otlpProto } from '../service/otlp/otlp-proto.ts';
import { type ChildService, spawnService, writeConfig } from './child-service.ts';
import { envInt } from './random.ts';
import { chatSpan, nestedBombBody, scopeKeysBody, tracesBody } from './span-bodies.ts';

/**
 * Overload: 24 clients at once send 2 MB OTLP bodies as fast as they are answered — real
 * GenAI spans, and bodies built to cost many times their size once decoded (a million tiny
 * nested values, thousands of kept labels) — to `bursar serve` with an 8 MiB in-flight
 * budget and a 96 MB heap cap. It answers 200 or 429 with Retry-After, nothing else, does
 * not run out of memory, counts exactly the spans of the bodies it acknowledged, and serves
 * normally afterwards.
 */

const CLIENTS = 24;
const REQUESTS_PER_CLIENT = envInt('BURSAR_OVERLOAD_REQUESTS', 6);
const HEAP_MB = 96;
const BODY = 2_000_000;

const dir = mkdtempSync(path.join(tmpdir(), 'bursar-overload-'));
let svc: ChildService | undefined;
afterAll(async () => {
  await svc?.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** A body of real chat spans just under `bytes`; returns it with its span count. */
function realBody(bytes: number): { body: Buffer; spans: number } {
  const spans: Buffer[] = [];
  let size = 0;
  while (size < bytes - 600) {
    const s = chatSpan({ input: 7, output: 1, agent: 'overload' });
    spans.push(s);
    size += s.length;
  }
  return { body: tracesBody([{ attributes: { 'service.name': 'overload' }, spans }]), spans: spans.length };
}

describe('overload', () => {
  it(
    '429 with Retry-After instead of growing memory; exact counts; serves afterwards',
    { timeout: 180_000 },
    async () => {
      const config = writeConfig(dir, {
        otlp: { port: 0, maxBodyBytes: BODY + 100_000, maxInFlightBytes: 8 * 1024 * 1024 },
        api: { port: 0 },
        store: { kind: 'sqlite', dataDir: path.join(dir, 'data') },
        log: { level: 'info' },
      });
      svc = await spawnService(config, { nodeArgs: [`--max-old-space-size=${HEAP_MB}`] });
      const service = svc;
      const baseRss = service.rssBytes();
      let peakRss = baseRss;
      const sampler = setInterval(() => {
        try {
          peakRss = Math.max(peakRss, service.rssBytes());
        } catch {
          // The process is gone: the exit check below says why.
        }
      }, 50);

      const statuses = new Map<number, number>();
      const problems: string[] = [];
      let acknowledgedSpans = 0;
      let resent = 0;
      const client = async (c: number) => {
        for (let i = 0; i < REQUESTS_PER_CLIENT; i++) {
          const kind = (c + i) % 4;
          const real = kind < 2 ? realBody(BODY) : undefined;
          const body = real?.body ?? (kind === 2 ? nestedBombBody(BODY / 4) : scopeKeysBody(BODY / 40));
          let res: Response | undefined;
          for (let attempt = 0; res === undefined; attempt++) {
            try {
              res = await fetch(`${service.otlpUrl}/v1/traces`, {
                method: 'POST',
                headers: { 'content-type': 'application/x-protobuf' },
                body,
              });
            } catch (error) {
              // A keep-alive connection the server closed as idle just as this request went out
              // on it (EPIPE, ECONNRESET): the request never arrived; OTLP exporters send it
              // again, and so does this client. Anything else, or a dead service, is a failure.
              const cause = (error as { cause?: { code?: string } }).cause?.code ?? String(error);
              const alive = service.child.exitCode === null && service.child.signalCode === null;
              if (!alive || attempt >= 3 || (cause !== 'EPIPE' && cause !== 'ECONNRESET')) {
                problems.push(`fetch failed (${cause}); service ${alive ? 'running' : 'dead'}`);
                break;
              }
              resent++;
            }
          }
          if (res === undefined) continue;
          const answer = Buffer.from(await res.arrayBuffer());
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status === 429) {
            if (res.headers.get('retry-after') !== '2') problems.push('429 without Retry-After: 2');
            const message = String(otlpProto.RpcStatus.toObject(otlpProto.RpcStatus.decode(answer)).message);
            if (!/in flight/.test(message)) problems.push(`429 message: ${message}`);
          } else if (res.status === 200) {
            if (real) acknowledgedSpans += real.spans;
          } else problems.push(`status ${res.status}`);
        }
      };
      await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
      clearInterval(sampler);

      const mb = (b: number) => Math.round(b / 1e6);
      console.log('overload', {
        statuses: Object.fromEntries(statuses),
        acknowledgedSpans,
        resent,
        rssMb: { base: mb(baseRss), peak: mb(peakRss) },
      });
      if (problems.length > 0)
        console.log('overload: service stderr', service.output.filter((l) => !l.startsWith('{')).join('\n'));
      expect(problems).toEqual([]);
      expect(statuses.get(429) ?? 0).toBeGreaterThan(0);
      expect(service.child.exitCode).toBeNull();
      expect(peakRss).toBeLessThan((HEAP_MB + 450) * 1e6);

      // Still serving, and it counted exactly what it acknowledged.
      const after = await fetch(`${service.otlpUrl}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: tracesBody([
          { attributes: { 'service.name': 'after' }, spans: [chatSpan({ input: 1, output: 1 })] },
        ]),
      });
      expect(after.status).toBe(200);
      const usage = await (
        await fetch(
          `${service.apiUrl}/v1/usage?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&groupBy=agent`,
        )
      ).json();
      const rows = (usage as { rows: { group: { agent: string }; calls: number }[] }).rows;
      expect(rows.find((r) => r.group.agent === 'overload')?.calls ?? 0).toBe(acknowledgedSpans);
      expect(await service.stop()).toBe(0);
    },
  );
});
