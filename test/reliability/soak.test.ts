import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ChildService, spawnService, writeConfig } from './child-service.ts';
import { envInt, sleep } from './random.ts';
import { chatSpan, tracesBody } from './span-bodies.ts';

/**
 * Soak: `bursar serve` (default SQLite settings: FULL durability) takes GenAI spans as fast
 * as four clients can send them — 1000-span bodies back to back, new ids every time — for
 * BURSAR_SOAK_SECONDS (30 in CI; 600 for the ten-minute run of RELIABILITY.md), with REST
 * reserve/commit and a /metrics scrape alongside. Its RSS, sampled every half second, stays
 * flat: after a warm-up third, the last third peaks no higher than the middle third plus a
 * margin. Every acknowledged span is counted once.
 */

const SECONDS = envInt('BURSAR_SOAK_SECONDS', 30);
const SENDERS = 4;
const SPANS_PER_REQUEST = 1000;

const dir = mkdtempSync(path.join(tmpdir(), 'bursar-soak-'));
let svc: ChildService | undefined;
afterAll(async () => {
  await svc?.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('soak', () => {
  it(
    `${SECONDS} s at full ingest rate: RSS flat, every span counted once`,
    { timeout: (SECONDS + 90) * 1000 },
    async () => {
      const config = writeConfig(dir, {
        otlp: { port: 0 },
        api: { port: 0 },
        store: { kind: 'sqlite', dataDir: path.join(dir, 'data') },
        metrics: { labels: ['tenant', 'agent'] },
        budgets: [
          {
            id: 'tokens',
            resource: 'tokens',
            period: 'day',
            limit: 1e12,
            policy: 'HARD_LIMIT',
            groupBy: ['tenant'],
          },
        ],
        log: { level: 'info' },
      });
      // A bounded young generation: V8 otherwise grows its semispaces during a burst and keeps
      // them mapped though empty (see bench/profile-rss.ts), which reads as RSS growth without
      // any live memory behind it. A leak lives in old space and still shows (and is capped).
      svc = await spawnService(config, { nodeArgs: ['--max-semi-space-size=4', '--max-old-space-size=384'] });
      const service = svc;
      const rss: number[] = [];
      const sampler = setInterval(() => rss.push(service.rssBytes()), 500);
      let stop = false;
      let acknowledged = 0;
      let refused = 0;
      let restCalls = 0;
      let n = 0;
      const sender = async () => {
        while (!stop) {
          const spans = [];
          for (let i = 0; i < SPANS_PER_REQUEST; i++) {
            n++;
            spans.push(chatSpan({ input: 100, output: 10, agent: `agent-${n % 50}`, tenant: `t${n % 5}` }));
          }
          const body = tracesBody([{ attributes: { 'service.name': 'soak' }, spans }]);
          for (;;) {
            const res = await fetch(`${service.otlpUrl}/v1/traces`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-protobuf' },
              body,
            });
            await res.arrayBuffer();
            if (res.status === 200) break;
            expect(res.status).toBe(429);
            refused++;
            await sleep(100);
          }
          acknowledged += SPANS_PER_REQUEST;
        }
      };
      // The other paths a busy service serves: reserve + commit, and Prometheus scrapes.
      const restClient = async () => {
        const json = { 'content-type': 'application/json' };
        while (!stop) {
          const r = await fetch(`${service.apiUrl}/v1/reservations`, {
            method: 'POST',
            headers: json,
            body: JSON.stringify({ scope: { tenant: 'rest' }, estimate: { inputTokens: 10 } }),
          });
          const { reservation } = (await r.json()) as { reservation: { id: string } };
          const c = await fetch(`${service.apiUrl}/v1/reservations/${reservation.id}/commit`, {
            method: 'POST',
            headers: json,
            body: JSON.stringify({ usage: { input: 10, output: 1 } }),
          });
          expect(c.status).toBe(200);
          await c.arrayBuffer();
          restCalls++;
          if (restCalls % 100 === 0) await (await fetch(`${service.apiUrl}/metrics`)).text();
        }
      };
      const load = [...Array.from({ length: SENDERS }, sender), restClient()];
      await sleep(SECONDS * 1000);
      stop = true;
      await Promise.all(load);
      clearInterval(sampler);

      const third = Math.floor(rss.length / 3);
      const middle = Math.max(...rss.slice(third, 2 * third));
      const last = Math.max(...rss.slice(2 * third));
      const mb = (b: number) => Math.round(b / 1e6);
      const perMinute = (xs: number[]) => xs.filter((_, i) => i % 120 === 0).map(mb);
      console.log('soak', {
        seconds: SECONDS,
        spans: acknowledged,
        spansPerSecond: Math.round(acknowledged / SECONDS),
        refused429: refused,
        restCalls,
        rssMb: {
          first: mb(rss[0]!),
          middlePeak: mb(middle),
          lastPeak: mb(last),
          everyMinute: perMinute(rss),
        },
      });
      expect(last).toBeLessThan(middle * 1.1 + 32e6);

      const status = (await (await fetch(`${service.apiUrl}/v1/status`)).json()) as {
        budgets: { groupLabels: Record<string, string>; used: number }[];
      };
      const used = status.budgets.reduce((s, b) => s + (b.groupLabels.tenant === 'rest' ? 0 : b.used), 0);
      expect(used).toBe(acknowledged * 110);
      expect(await service.stop()).toBe(0);
    },
  );
});
