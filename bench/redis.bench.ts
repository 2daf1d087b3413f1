import { BudgetEngine } from '../src/budget/engine.ts';
import { PriceCatalog } from '../src/pricing/catalog.ts';
import type { RedisClient } from '../src/store/redis-connection.ts';
import { RedisStore } from '../src/store/redis-store.ts';
import { RedisServer } from '../test/redis/redis-server.ts';
import { fmtNs, fmtRate, type Result, type Section } from './harness.ts';

/**
 * Reservations on the Redis store, 64 calls in flight, against a raw baseline in the same
 * run: one EVALSHA per call that checks and increments three hash-tagged keys (what a
 * minimal Lua limiter does per call, nothing shared between calls). Ours per reservation:
 * the engine's reserve (caps of three budgets checked, holds, the reservation, its
 * locator) and its commit (holds dropped, usage added, the record id marked, the record
 * written to the ledger). On one Redis the store sends the operations made in one event
 * loop turn in a few script calls (one generation check and prune per section per call), so
 * the time inside redis-server is shown per operation, next to the operations per call.
 * redis-server runs locally (no persistence), started and stopped here.
 */

const IN_FLIGHT = 64;
const OPS = 20_000;
const ROUNDS = 5;

const BASELINE_LUA = `
local a = tonumber(redis.call('GET', KEYS[1]) or '0')
local b = tonumber(redis.call('GET', KEYS[2]) or '0')
local c = tonumber(redis.call('GET', KEYS[3]) or '0')
local n = tonumber(ARGV[1])
if a + n > 1e15 or b + n > 1e15 or c + n > 1e15 then return 0 end
redis.call('INCRBY', KEYS[1], n)
redis.call('INCRBY', KEYS[2], n)
redis.call('INCRBY', KEYS[3], n)
return 1`;

interface Run {
  result: Result;
  p50: number;
  p99: number;
  /** Wall time inside redis-server per script call (INFO commandstats usec_per_call), µs. */
  redisUs?: number;
  /** Script calls made (INFO commandstats calls). */
  calls?: number;
  /** Time inside redis-server in script calls, all rounds, µs. */
  redisTotalUs?: number;
  /** Operations made (all rounds, warm-up included). */
  ops?: number;
}

/** Runs a case with redis-server's command statistics reset, and reads its time per EVALSHA. */
async function withStats(client: RedisClient, r: () => Promise<Run>): Promise<Run> {
  await client.call('CONFIG', 'RESETSTAT');
  const out = await r();
  const stats = String(await client.call('INFO', 'commandstats'));
  const m = /cmdstat_evalsha:calls=(\d+),usec=(\d+),usec_per_call=([\d.]+)/.exec(stats);
  if (m) {
    out.calls = Number(m[1]);
    out.redisTotalUs = Number(m[2]);
    out.redisUs = Number(m[3]);
  }
  return out;
}

/** `OPS` calls of `op` with `IN_FLIGHT` outstanding, several rounds; the median round, with its latencies. */
async function run(name: string, op: (i: number) => Promise<unknown>): Promise<Run> {
  const rounds: { ns: number; lat: Float64Array }[] = [];
  let seq = 0;
  for (let r = -1; r < ROUNDS; r++) {
    const lat = new Float64Array(OPS);
    let next = 0;
    const t0 = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < OPS) {
          const i = next++;
          const s = process.hrtime.bigint();
          await op(seq++);
          lat[i] = Number(process.hrtime.bigint() - s);
        }
      }),
    );
    const ns = Number(process.hrtime.bigint() - t0) / OPS;
    if (r >= 0) rounds.push({ ns, lat }); // round -1 warms up
  }
  rounds.sort((x, y) => x.ns - y.ns);
  const mid = rounds[Math.floor(rounds.length / 2)]!;
  const sorted = [...mid.lat].sort((x, y) => x - y);
  return {
    result: {
      name,
      nsPerOp: mid.ns,
      opsPerSec: 1e9 / mid.ns,
      minNs: rounds[0]!.ns,
      maxNs: rounds.at(-1)!.ns,
    },
    p50: sorted[Math.floor(OPS * 0.5)]!,
    p99: sorted[Math.floor(OPS * 0.99)]!,
    ops: OPS * (ROUNDS + 1),
  };
}

async function engineOn(redis: RedisServer, prefix: string, tenantOnly: boolean) {
  const store = new RedisStore({ url: redis.url, prefix });
  const engine = new BudgetEngine({ store, pricer: new PriceCatalog() });
  await engine.init();
  // As bench/sqlite.bench.ts: a cost cap, tokens per tenant, requests per hour.
  const pin = tenantOnly ? { groupBy: ['tenant'] } : {};
  await engine.putBudget({
    id: 'cost',
    resource: 'cost_usd',
    period: 'month',
    limit: 1e9,
    policy: 'HARD_LIMIT',
    ...pin,
  });
  await engine.putBudget({
    id: 'per-tenant',
    groupBy: ['tenant'],
    resource: 'tokens',
    period: 'day',
    limit: 1e12,
    policy: 'HARD_LIMIT',
  });
  await engine.putBudget({
    id: 'requests',
    resource: 'requests',
    period: 'hour',
    limit: 1e12,
    policy: 'HARD_LIMIT',
    ...pin,
  });
  return { store, engine };
}

function reservation(engine: BudgetEngine) {
  return async (i: number) => {
    const r = await engine.reserve({
      scope: { tenant: `t${i % 50}`, agent: `a${i % 7}` },
      provider: 'openai',
      model: 'gpt-4o-mini',
      estimate: { inputTokens: 1200, outputTokens: 300 },
    });
    if (!r.reservation) throw new Error(`denied: ${r.decision.reasons.join('; ')}`);
    return r.reservation.id;
  };
}

export async function benchRedis(): Promise<Section[]> {
  const redis = await RedisServer.start();
  try {
    const client = new RedisStore({ url: redis.url, prefix: 'raw' }).client;
    await client.connect();
    const sha = (await client.call('SCRIPT', 'LOAD', BASELINE_LUA)) as string;
    const baseline = await withStats(client, () =>
      run('raw EVALSHA, 3 hash-tagged keys checked and incremented (baseline)', (i) => {
        const t = `{t${i % 50}}`;
        return client.evalsha(sha, 3, `raw:${t}:a`, `raw:${t}:b`, `raw:${t}:c`, 1);
      }),
    );

    const tenant = await engineOn(redis, 'b1', true);
    const reserveOne = reservation(tenant.engine);
    const pairTenant = await withStats(client, () =>
      run('engine reserve + commit, 3 budgets in the tenant’s slot (2 store operations)', async (i) => {
        const id = await reserveOne(i);
        await tenant.engine.commit(id, { usage: { input: 1100, output: 280 } });
      }),
    );
    const reserveOnly = await withStats(client, () =>
      run('engine reserve alone, 3 budgets in the tenant’s slot (1 store operation)', reserveOne),
    );
    await tenant.store.close();

    const global = await engineOn(redis, 'b2', false);
    const reserveTwo = reservation(global.engine);
    const pairGlobal = await withStats(client, () =>
      run(
        'engine reserve + commit, 2 global caps + 1 per-tenant (2 slots, still one operation each)',
        async (i) => {
          const id = await reserveTwo(i);
          await global.engine.commit(id, { usage: { input: 1100, output: 280 } });
        },
      ),
    );
    await global.store.close();
    client.disconnect();

    const rows = [baseline, pairTenant, reserveOnly, pairGlobal];
    // A reserve + commit case makes two store operations per reservation.
    const perOp = (r: Run, opsPerRow: number) =>
      r.redisTotalUs === undefined ? '?' : (r.redisTotalUs / r.ops! / opsPerRow).toFixed(1);
    const inside = (r: Run) => {
      const twoOps = r === pairTenant || r === pairGlobal;
      const perRow = r.redisTotalUs === undefined ? '?' : (r.redisTotalUs / r.ops!).toFixed(1);
      const opsPerCall = r.calls ? ((r.ops! * (twoOps ? 2 : 1)) / r.calls).toFixed(1) : '?';
      return `time inside redis-server ${perRow} µs per ${r === baseline ? 'call' : 'reservation'} (${perOp(r, twoOps ? 2 : 1)} µs per script operation, ${opsPerCall} operations per script call, ${r.redisUs?.toFixed(1) ?? '?'} µs per call)`;
    };
    const ratio = (r: Run) => (r.result.opsPerSec / baseline.result.opsPerSec).toFixed(2);
    return [
      {
        title: `Redis store: reservations with ${IN_FLIGHT} in flight (local redis-server, no persistence)`,
        target: '≥ 0.7× of the raw three-key EVALSHA baseline and ≥ 80k reservations/s; p50 and p99 latency',
        rows: rows.map((r) => r.result),
        notes: [
          ...rows.map((r) => `${r.result.name}: p50 ${fmtNs(r.p50)}, p99 ${fmtNs(r.p99)}; ${inside(r)}`),
          `reserve + commit (tenant slot): ${fmtRate(pairTenant.result.opsPerSec)} reservations/s = ${ratio(pairTenant)}× the baseline's calls/s (each reservation is two store operations, several operations share a script call); reserve alone ${ratio(reserveOnly)}× — targets ≥ 0.7× and ≥ 80k/s: ${pairTenant.result.opsPerSec >= 80_000 && Number(ratio(pairTenant)) >= 0.7 ? 'met' : 'NOT met'}`,
          'Node (client, engine) and redis-server share the 2 cores of this machine with other work; figures are for that setting.',
        ],
      },
    ];
  } finally {
    await redis.destroy();
  }
}
