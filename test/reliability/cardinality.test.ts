import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ChildService, spawnService, writeConfig } from './child-service.ts';
import { envInt } from './random.ts';
import { chatSpan, tracesBody } from './span-bodies.ts';

/**
 * A cardinality attack: 250k distinct agent names in CI (BURSAR_CARDINALITY=1000000 for
 * the million of RELIABILITY.md),
 * as gen_ai.agent.name on spans and as service.name of their resources (each a new
 * process to remember), sent over OTLP to `bursar serve` in a child process. Its memory
 * stays flat once the label caps are full, /metrics keeps at most metrics.maxValuesPerLabel
 * agents (the rest under agent="__overflow__"), and the budgets count every call and still
 * deny past their limits.
 *
 * Budgets grouped by agent are left out on purpose: such a budget asks for one counter per
 * agent, which the store keeps in memory. BURSAR_CARDINALITY_GROUPED=1 runs the attack with
 * one more budget grouped by agent (uncapped heap) and prints what each group costs.
 */

const AGENTS = envInt('BURSAR_CARDINALITY', 250_000);
const TENANTS = 10;
const PER_REQUEST = 5000;
const RESOURCES_PER_REQUEST = 50;
const SENDERS = 4;
const MAX_VALUES = 200;
const ADMIN = 'cardinality-admin-key-0123456789';
const HEAP_MB = 192;

const dir = mkdtempSync(path.join(tmpdir(), 'bursar-cardinality-'));
let svc: ChildService | undefined;
afterAll(async () => {
  await svc?.kill();
  rmSync(dir, { recursive: true, force: true });
});

async function attack(groupedByAgent: boolean): Promise<void> {
  const perTenantTokens = Math.ceil(AGENTS / TENANTS) * 11;
  const config = writeConfig(dir, {
    otlp: { port: 0 },
    api: { port: 0 },
    store: { kind: 'sqlite', dataDir: path.join(dir, 'data'), synchronous: 'NORMAL' },
    auth: { keys: [{ name: 'admin', key: ADMIN, role: 'admin' }] },
    metrics: { labels: ['tenant', 'agent'], maxValuesPerLabel: MAX_VALUES },
    budgets: [
      {
        id: 'global',
        resource: 'tokens',
        period: 'total',
        limit: AGENTS * 11 + 1000,
        policy: 'HARD_LIMIT',
      },
      {
        id: 'per-tenant',
        resource: 'tokens',
        period: 'total',
        limit: perTenantTokens + 100,
        policy: 'HARD_LIMIT',
        groupBy: ['tenant'],
      },
      ...(groupedByAgent
        ? [
            {
              id: 'per-agent',
              resource: 'tokens' as const,
              period: 'total' as const,
              limit: 1000,
              policy: 'WARN' as const,
              groupBy: ['agent'],
            },
          ]
        : []),
    ],
    log: { level: 'info' },
  });
  // A capped heap: were memory to grow with the agents, the service would die of it.
  svc = await spawnService(config, {
    nodeArgs: groupedByAgent ? [] : [`--max-old-space-size=${HEAP_MB}`],
  });
  const auth = { authorization: `Bearer ${ADMIN}` };
  const service = svc;

  let next = 0;
  const statuses = new Map<number, number>();
  const rss: number[] = [];
  const sampler = setInterval(() => rss.push(service.rssBytes()), 250);
  const sender = async () => {
    for (;;) {
      const first = next;
      if (first >= AGENTS) return;
      next = Math.min(AGENTS, first + PER_REQUEST);
      const resources = [];
      const per = Math.ceil((next - first) / RESOURCES_PER_REQUEST);
      for (let r = first; r < next; r += per) {
        const spans = [];
        for (let i = r; i < Math.min(next, r + per); i++)
          spans.push(chatSpan({ input: 10, output: 1, agent: `agent-${i}`, tenant: `t${i % TENANTS}` }));
        resources.push({ attributes: { 'service.name': `svc-${r}` }, spans });
      }
      const body = tracesBody(resources);
      for (;;) {
        const res = await fetch(`${service.otlpUrl}/v1/traces`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/x-protobuf' },
          body,
        });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 200) break;
        expect(res.status).toBe(429);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  await Promise.all(Array.from({ length: SENDERS }, sender));
  clearInterval(sampler);

  // Memory: the heap is capped, so surviving is the first proof. Past the bounded caches
  // (recent span ids, known processes: 100k-200k entries each, full after ≈200k spans) it is
  // also flat: with a million agents the last tenth holds no more than the 10-20 % mark plus
  // a margin for the allocator. Below that the early window is still filling those caches.
  const tenth = Math.max(1, Math.floor(rss.length / 10));
  const early = Math.max(...rss.slice(tenth, 2 * tenth));
  const late = Math.max(...rss.slice(-tenth));
  const mb = (b: number) => Math.round(b / 1e6);
  console.log('cardinality', {
    agents: AGENTS,
    groupedByAgent,
    statuses: Object.fromEntries(statuses),
    rssMb: { start: mb(rss[0]!), early: mb(early), late: mb(late), peak: mb(Math.max(...rss)) },
  });
  if (groupedByAgent) {
    // The early window is the attack's 10–20 %, the late one its last tenth: ≈80 % of the
    // agents arrived in between.
    console.log(
      `cardinality: with a budget grouped by agent RSS grew ${mb(late - early)} MB between the early and late windows, ≈${Math.round((late - early) / (0.8 * AGENTS))} bytes per agent`,
    );
    return;
  }
  expect(Math.max(...rss)).toBeLessThan((HEAP_MB + 450) * 1e6);
  if (AGENTS >= 1_000_000) expect(late).toBeLessThan(early * 1.15 + 64e6);

  // /metrics: at most MAX_VALUES agents of their own, the rest under __overflow__.
  const metrics = await (await fetch(`${service.apiUrl}/metrics`, { headers: auth })).text();
  const agents = new Set(
    [...metrics.matchAll(/^bursar_tokens_total\{[^}]*agent="([^"]*)"/gm)].map((m) => m[1]),
  );
  expect(agents.size).toBe(MAX_VALUES + 1);
  expect(agents.has('__overflow__')).toBe(true);
  const series = metrics.split('\n').filter((l) => l.startsWith('bursar_')).length;
  console.log('cardinality /metrics', { bytes: metrics.length, bursarSeries: series });
  expect(series).toBeLessThan(20_000);

  // Budgets: every call counted, and the limits still deny.
  const status = (await (await fetch(`${service.apiUrl}/v1/status`, { headers: auth })).json()) as {
    budgets: unknown[];
  };
  const rows = status.budgets as {
    budgetId: string;
    groupLabels: Record<string, string>;
    used: number;
  }[];
  expect(rows.find((b) => b.budgetId === 'global')!.used).toBe(AGENTS * 11);
  const t0 = rows.find((b) => b.budgetId === 'per-tenant' && b.groupLabels.tenant === 't0')!;
  expect(t0.used).toBe(Math.ceil(AGENTS / TENANTS) * 11);
  const check = (inputTokens: number) =>
    fetch(`${service.apiUrl}/v1/reservations`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ scope: { tenant: 't0', agent: 'agent-new' }, estimate: { inputTokens } }),
    });
  expect((await check(500)).status).toBe(402);
  expect((await check(50)).status).toBe(201);
  expect(await service.stop()).toBe(0);
}

describe('cardinality attack', () => {
  it(
    `${AGENTS} distinct agent names: bounded memory and series, budgets still enforce`,
    { timeout: 120_000 + AGENTS / 10 },
    () => attack(false),
  );
  it.runIf(process.env.BURSAR_CARDINALITY_GROUPED)(
    'the cost of a budget grouped by agent',
    { timeout: 120_000 + AGENTS / 10 },
    () => attack(true),
  );
});
