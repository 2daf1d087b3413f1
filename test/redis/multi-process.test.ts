import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, metricSum, prng, type Replica, startReplica, until, writeConfig } from './bursar-replicas.ts';
import { RedisServer } from './redis-server.ts';

/**
 * Three `bursar serve` processes sharing one real Redis, driven over HTTP by many concurrent
 * clients: HARD limits hold across replicas, holds of killed clients expire, and a Redis
 * outage in the middle of the load denies HARD calls, lets WARN calls through, and lands
 * their buffered usage exactly once. BURSAR_REDIS_SEEDS=n runs more random seeds (default 3).
 */

const SEEDS = Array.from({ length: Number(process.env.BURSAR_REDIS_SEEDS ?? 3) }, (_, i) => i + 1);
const CLIENTS = 200;
const OPS_PER_CLIENT = 5;
const LIMITS = { global: 20_000, tenant: 6_000, agent: 40 };

function seedBudgets(seed: number) {
  const selector = { project: `s${seed}` };
  return [
    {
      id: `g-${seed}`,
      selector,
      resource: 'tokens',
      period: 'day',
      limit: LIMITS.global,
      policy: 'HARD_LIMIT',
    },
    {
      id: `t-${seed}`,
      selector,
      groupBy: ['tenant'],
      resource: 'tokens',
      period: 'week',
      limit: LIMITS.tenant,
      policy: 'HARD_LIMIT',
    },
    {
      id: `a-${seed}`,
      selector,
      groupBy: ['tenant', 'agent'],
      resource: 'requests',
      period: 'month',
      limit: LIMITS.agent,
      policy: 'HARD_LIMIT',
    },
  ];
}

let redis: RedisServer;
let dir: string;
let replicas: Replica[] = [];
const apis = () => replicas.map((r) => r.api);
/** The replicas' error log lines, to explain an unexpected answer. */
const errors = () =>
  JSON.stringify(replicas.flatMap((r) => r.lines.filter((l) => Number(l.level) >= 50)).slice(-3));

beforeAll(async () => {
  redis = await RedisServer.start({ appendOnly: true });
  dir = mkdtempSync(path.join(tmpdir(), 'bursar-replicas-'));
  const file = writeConfig(path.join(dir, 'bursar.yaml'), {
    store: { kind: 'redis', redis: { url: redis.url } },
    expirySweepMs: 250,
    log: { level: 'info' },
    budgets: [
      ...SEEDS.flatMap(seedBudgets),
      {
        id: 'hard-o',
        selector: { project: 'outage', tenant: 'H' },
        resource: 'tokens',
        period: 'day',
        limit: 1e9,
        policy: 'HARD_LIMIT',
      },
      {
        id: 'warn-o',
        selector: { project: 'outage', tenant: 'W' },
        resource: 'tokens',
        period: 'day',
        limit: 1e9,
        policy: 'WARN',
      },
      {
        id: 'killed',
        selector: { project: 'killed' },
        groupBy: ['tenant'],
        resource: 'tokens',
        period: 'day',
        limit: 1e9,
        policy: 'HARD_LIMIT',
      },
    ],
  });
  replicas = await Promise.all([0, 1, 2].map(() => startReplica(file, dir)));
}, 60_000);

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  await redis?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Row {
  budgetId: string;
  group: string;
  used: number;
  reserved: number;
  limit: number;
}

async function status(budgetIds: string[], at = 0): Promise<Row[]> {
  const r = await api(apis()[at]!, 'GET', `/v1/status?budgetId=${budgetIds.join(',')}`);
  expect(r.status).toBe(200);
  return r.body.budgets as Row[];
}

describe('three replicas, one Redis, 200 concurrent clients', () => {
  it.each(SEEDS)(
    'seed %i: committed usage never passes a HARD limit beyond the estimate errors of admitted calls, and nothing leaks',
    async (seed) => {
      const rand = prng(seed);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
      const committed = new Map<string, number>();
      const overrun = new Map<string, number>();
      const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
      let admitted = 0;
      let denied = 0;
      // Each client's choices are drawn up front, so a seed always means the same plan.
      const plans = Array.from({ length: CLIENTS }, () =>
        Array.from({ length: OPS_PER_CLIENT }, () => ({
          tenant: pick(['T0', 'T1', 'T2', 'T3']),
          agent: pick(['A0', 'A1', 'A2']),
          estimate: 1 + Math.floor(rand() * 400),
          reserveAt: Math.floor(rand() * 3),
          finishAt: Math.floor(rand() * 3),
          outcome: rand(),
          ratio: rand() < 0.15 ? 1.5 : rand(),
        })),
      );
      await Promise.all(
        plans.map(async (ops) => {
          for (const op of ops) {
            const scope = { tenant: op.tenant, agent: op.agent, project: `s${seed}` };
            const res = await api(apis()[op.reserveAt]!, 'POST', '/v1/reservations', {
              scope,
              estimate: { inputTokens: op.estimate },
              ttlMs: 3000,
            });
            if (res.status === 402) {
              denied += 1;
              continue;
            }
            expect(res.status, `${JSON.stringify(res.body)} ${errors()}`).toBe(201);
            admitted += 1;
            const id = (res.body.reservation as { id: string }).id;
            // Finished on any replica, not only the one that reserved.
            const other = apis()[op.finishAt]!;
            if (op.outcome < 0.7) {
              const actual = Math.floor(op.estimate * op.ratio);
              const c = await api(other, 'POST', `/v1/reservations/${id}/commit`, {
                usage: { input: actual },
              });
              expect(c.status, `${JSON.stringify(c.body)} ${errors()}`).toBe(200);
              expect(c.body.status).toBe('committed');
              const over = Math.max(0, actual - op.estimate);
              for (const key of [`g-${seed}\u0000`, `t-${seed}\u0000${op.tenant}`]) {
                add(committed, key, actual);
                add(overrun, key, over);
              }
              add(committed, `a-${seed}\u0000${op.tenant}\u0001${op.agent}`, 1);
            } else if (op.outcome < 0.85) {
              const d = await api(other, 'DELETE', `/v1/reservations/${id}`);
              expect(d.status, `${JSON.stringify(d.body)} ${errors()}`).toBe(200);
            }
            // else: abandoned; its hold expires after the TTL.
          }
        }),
      );
      expect(admitted).toBeGreaterThan(0);
      expect(denied).toBeGreaterThan(0); // the limits were reached
      const ids = [`g-${seed}`, `t-${seed}`, `a-${seed}`];
      await until('every hold of this seed to be gone', async () =>
        (await status(ids)).every((r) => r.reserved === 0),
      );
      const rows = await status(ids, seed % 3);
      expect(rows.length).toBeGreaterThanOrEqual(3);
      for (const r of rows) {
        const key = `${r.budgetId}\u0000${r.group}`;
        // Exactly what clients committed (conservation, across replicas)...
        expect(r.used, key).toBe(committed.get(key) ?? 0);
        // ...and never past the limit by more than the admitted calls' overruns.
        expect(r.used, key).toBeLessThanOrEqual(r.limit + (overrun.get(key) ?? 0));
      }
    },
    120_000,
  );
});

describe('failures under load', () => {
  it('clients killed mid-call: their holds expire, nothing leaks, the expiry counter moves', async () => {
    const expiredCount = async () => {
      let n = 0;
      for (const a of apis())
        n +=
          (await metricSum(a, 'bursar_reservations_expired_total')) +
          (await metricSum(a, 'bursar_store_holds_expired_total'));
      return n;
    };
    const before = await expiredCount();
    const client = path.join(import.meta.dirname, 'reserving-client.ts');
    let reserved = 0;
    const children = [0, 1, 2].map(() => {
      const child = spawn(
        process.execPath,
        [client, apis().join(','), JSON.stringify({ project: 'killed', tenant: 'K' }), '1500'],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      createInterface({ input: child.stdout! }).on('line', () => (reserved += 1));
      return child;
    });
    try {
      await until('the clients to hold reservations', async () => reserved >= 60);
    } finally {
      for (const c of children) c.kill('SIGKILL');
    }
    expect((await status(['killed']))[0]!.reserved).toBeGreaterThan(0);
    await until('the killed clients’ holds to expire', async () =>
      (await status(['killed'])).every((r) => r.reserved === 0),
    );
    const row = (await status(['killed']))[0]!;
    expect([row.used, row.reserved]).toEqual([0, 0]);
    // Every reservation granted (some the clients died before hearing of) expired once.
    expect((await expiredCount()) - before).toBeGreaterThanOrEqual(reserved);
  }, 60_000);

  it('Redis stopped during load, then restarted: HARD denies, WARN allows, buffered usage lands exactly once', async () => {
    let running = true;
    let hardDenied = 0;
    let failOpen = 0;
    const landed = { H: new Map<string, number>(), W: new Map<string, number>() };
    const retry = async (call: () => Promise<{ status: number }>) => {
      // A commit of another replica's reservation cannot be buffered: retried until Redis is back.
      for (;;) {
        const r = await call();
        if (r.status === 200) return;
        expect(r.status).toBe(500);
        await new Promise((res) => setTimeout(res, 100));
      }
    };
    const client = async (c: number) => {
      for (let i = 0; running; i++) {
        const tenant = (c + i) % 2 === 0 ? 'H' : 'W';
        const base = apis()[(c + i) % 3]!;
        const tokens = 1 + ((c * 31 + i * 17) % 300);
        const res = await api(base, 'POST', '/v1/reservations', {
          scope: { project: 'outage', tenant },
          estimate: { inputTokens: tokens },
          ttlMs: 3000,
        });
        if (res.status === 201) {
          const id = (res.body.reservation as { id: string }).id;
          const rid = `o-${c}-${i}`;
          // Committed on the replica that reserved: during the outage it buffers the commit.
          await retry(() =>
            api(base, 'POST', `/v1/reservations/${id}/commit`, { id: rid, usage: { input: tokens } }),
          );
          landed[tenant].set(rid, tokens);
        } else if (res.status === 503) {
          expect(tenant).toBe('H');
          expect((res.body.error as { code: string }).code).toBe('store_unavailable');
          hardDenied += 1;
        } else {
          // Store down and every budget fails open: go ahead, then report the usage (twice:
          // a client retrying its POST must not be counted twice).
          expect([res.status, tenant, res.body.storeUnavailable]).toEqual([200, 'W', true]);
          failOpen += 1;
          const rid = `u-${c}-${i}`;
          const record = {
            id: rid,
            time: Date.now(),
            provider: 'openai',
            operation: 'chat',
            requestModel: 'gpt-4o-mini',
            usage: { input: tokens, output: 0 },
            scope: { project: 'outage', tenant },
          };
          for (let k = 0; k < 2; k++) {
            const u = await api(base, 'POST', '/v1/usage', { records: [record] });
            expect(u.status, JSON.stringify(u.body)).toBeLessThan(300);
          }
          landed.W.set(rid, tokens);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const outage = async () => {
      await new Promise((r) => setTimeout(r, 1000));

      await redis.stop();
      await until('a fail-open call during the outage', async () => failOpen >= 20 && hardDenied >= 20);
      // Visible while it lasts: not ready (with the reason and the buffer), store down in /metrics.
      const ready = await api(apis()[0]!, 'GET', '/readyz');
      expect(ready.status).toBe(503);
      expect((ready.body.error as { message: string }).message).toMatch(/redis is not connected/);
      let buffered = 0;
      for (const a of apis()) buffered += await metricSum(a, 'bursar_store_buffered_records');
      expect(buffered).toBeGreaterThan(0);
      expect(await metricSum(apis()[0]!, 'bursar_store_up')).toBe(0);
      await redis.restart();
      await new Promise((r) => setTimeout(r, 1000));
    };
    const afterOutage = async () => {
      let replayed = 0;
      await until('every replica ready with an empty buffer', async () => {
        replayed = 0;
        for (const a of apis()) {
          const r = await api(a, 'GET', '/readyz');
          if (r.status !== 200) return false;
          const b = r.body.buffer as { records: number; replayed: number };
          if (b.records !== 0) return false;
          replayed += b.replayed;
        }
        return true;
      });
      expect(replayed).toBeGreaterThan(0);
      await until('the outage holds to be gone', async () =>
        (await status(['hard-o', 'warn-o'])).every((r) => r.reserved === 0),
      );
      const rows = Object.fromEntries((await status(['hard-o', 'warn-o'])).map((r) => [r.budgetId, r.used]));
      const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
      expect(rows).toEqual({ 'hard-o': sum(landed.H), 'warn-o': sum(landed.W) });
      // Every record once in the ledger too.
      const usage = await api(apis()[1]!, 'GET', '/v1/usage/records?tenant=W&limit=10000');
      const ids = (usage.body.records as { id: string }[])
        .map((r) => r.id)
        .filter((id) => id.startsWith('u-'));
      expect(ids.length).toBe(new Set(ids).size);
      expect(new Set(ids)).toEqual(new Set([...landed.W.keys()].filter((id) => id.startsWith('u-'))));
    };
    const load = Promise.all(Array.from({ length: 40 }, (_, c) => client(c)));
    try {
      await outage();
    } finally {
      running = false;
      await load;
    }
    await afterOutage();
  }, 90_000);
});
