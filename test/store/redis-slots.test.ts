import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScript } from '../../src/store/redis-connection.ts';
import { crc16, keySlot } from '../../src/store/redis-keys.ts';
import { reserveArgs } from '../../src/store/redis-plan.ts';
import { RedisStore } from '../../src/store/redis-store.ts';
import type { Reservation } from '../../src/store/store.ts';
import { FakeClock, makeEngine } from '../helpers/engine.ts';
import { RedisServer } from '../redis/redis-server.ts';

/**
 * Cluster placement, checked on one real Redis run the Cluster way (one script call per
 * hash-tag section): every key a script touches is in one slot (CRC16 of the hash tag),
 * and budgets spanning tenants go through a second, compensated step.
 */

let redis: RedisServer;
let n = 0;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.destroy();
});

async function setup() {
  n += 1;
  const clock = new FakeClock();
  const store = new RedisStore({ url: redis.url, prefix: `s${n}`, perSlot: true, now: clock.now });
  const { engine } = await makeEngine({ store, clock });
  await engine.putBudget({
    id: 'global',
    resource: 'tokens',
    period: 'day',
    limit: 1000,
    policy: 'HARD_LIMIT',
  });
  await engine.putBudget({
    id: 'per-tenant',
    groupBy: ['tenant'],
    resource: 'tokens',
    period: 'month',
    limit: 300,
    policy: 'HARD_LIMIT',
  });
  return { store, engine, clock };
}

/** Every command a script ran, grouped by the EVALSHA/EVAL that ran it, with the keys it touched. */
async function monitorScripts<T>(run: () => Promise<T>): Promise<{ result: T; calls: string[][] }> {
  const monitor = await new Redis(redis.url).monitor();
  const calls: string[][] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    const cmd = args[0]!.toUpperCase();
    if (cmd === 'EVALSHA' || cmd === 'EVAL') calls.push([]);
    else if (source.includes('lua') && cmd !== 'TIME') calls.at(-1)?.push(args[1]!);
  });
  const result = await run();
  await new Promise((r) => setTimeout(r, 200));
  monitor.disconnect();
  return { result, calls: calls.filter((c) => c.length > 0) };
}

describe('hash tags and slots', () => {
  it('computes the Cluster slot like Redis (CRC16/XMODEM of the tag, modulo 16384)', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
    expect(keySlot('123456789')).toBe(12739);
    // Only the first {…} counts, and an empty one does not.
    expect(keySlot('bursar:{t:acme}:c:x')).toBe(keySlot('t:acme'));
    expect(keySlot('{t:acme}}x')).toBe(keySlot('t:acme'));
    expect(keySlot('a{}b')).toBe(crc16(Buffer.from('a{}b')) % 16384);
  });

  it('every key one reserve/commit/release script touches is in one slot', async () => {
    const { engine } = await setup();
    const { calls } = await monitorScripts(async () => {
      const r = await engine.reserve({ scope: { tenant: 'acme' }, estimate: { inputTokens: 100 } });
      await engine.commit(r.reservation!.id, { usage: { input: 90 } });
      const s = await engine.reserve({ scope: { tenant: 'acme' }, estimate: { inputTokens: 10 } });
      await engine.release(s.reservation!.id);
      await engine.record([
        {
          id: 'plain',
          time: Date.parse('2026-03-15T12:00:00Z'),
          provider: 'openai',
          operation: 'chat',
          requestModel: 'test-model',
          usage: { input: 5, output: 0 },
          scope: { tenant: 'acme' },
          durationMs: 1,
        },
      ]);
    });
    // Two sections (the tenant's, and the global cap's) for each of the five operations.
    expect(calls.length).toBeGreaterThanOrEqual(10);
    const slotsUsed = new Set<number>();
    for (const keys of calls) {
      const slots = new Set(keys.map(keySlot));
      expect([...slots], keys.join(', ')).toHaveLength(1);
      slotsUsed.add([...slots][0]!);
    }
    expect([...slotsUsed].sort()).toEqual([keySlot('t:acme'), keySlot('g')].sort());
  });

  it('a tenant-only reservation is one call in one slot', async () => {
    const { engine } = await setup();
    await engine.deleteBudget('global');
    const { calls } = await monitorScripts(() =>
      engine.reserve({ scope: { tenant: 'globex' }, estimate: { inputTokens: 100 } }),
    );
    expect(calls).toHaveLength(1);
    expect(new Set(calls[0]!.map(keySlot))).toEqual(new Set([keySlot('t:globex')]));
  });
});

describe('a global cap across tenants: the second, compensated step', () => {
  const counters = async (engine: Awaited<ReturnType<typeof setup>>['engine'], tenant: string) =>
    Object.fromEntries(
      (await engine.check({ scope: { tenant } })).budgets.map((b) => [b.budgetId, [b.used, b.reserved]]),
    );

  it('a denial at home undoes the global hold; a global denial places nothing', async () => {
    const { engine } = await setup();
    expect(
      (await engine.reserve({ scope: { tenant: 'acme' }, estimate: { inputTokens: 250 } })).reservation,
    ).toBeDefined();
    // The global step (first) passes, the tenant's (last) denies: the global hold is undone.
    const denied = await engine.reserve({ scope: { tenant: 'acme' }, estimate: { inputTokens: 100 } });
    expect(denied.decision.allowed).toBe(false);
    expect(denied.decision.reasons[0]).toMatch(/^per-tenant\[acme\]: .* would pass the HARD limit/);
    expect(await counters(engine, 'acme')).toEqual({ global: [0, 250], 'per-tenant': [0, 250] });
    // Fill the global cap from other tenants, then the global step denies first.
    for (const t of ['b', 'c'])
      await engine.reserve({ scope: { tenant: t }, estimate: { inputTokens: 300 } });
    const full = await engine.reserve({ scope: { tenant: 'd' }, estimate: { inputTokens: 200 } });
    expect(full.decision.allowed).toBe(false);
    expect(full.decision.reasons[0]).toMatch(/^global: /);
    expect(await counters(engine, 'd')).toEqual({ global: [0, 850], 'per-tenant': [0, 0] });
  });

  it('holds a replica left behind between the steps expire with the TTL', async () => {
    const { store, engine, clock } = await setup();
    const c = {
      now: clock.now(),
      counterGraceMs: 1000,
      usageRetentionMs: 1000,
      reservationRetentionMs: 1000,
    };
    const ref = (await engine.check({ scope: { tenant: 'acme' } })).budgets.find(
      (b) => b.budgetId === 'global',
    )!;
    // What a replica that died after the global step leaves: the global hold, no reservation.
    const hold = {
      counter: {
        key: `global\u0000\u0000${ref.periodStart}`,
        budgetId: 'global',
        group: '',
        periodStart: ref.periodStart,
      },
      amount: 400,
      cap: 1000,
    };
    const orphan: Reservation = {
      id: 'orphan',
      createdAt: c.now,
      expiresAt: c.now + 1000,
      state: 'active',
      holds: [{ key: hold.counter.key, budgetId: 'global', amount: 400 }],
      request: { scope: { tenant: 'acme' } },
    };
    const marker = store.keys.marker('g');
    const args = reserveArgs(['g'], 't:acme', new Map([['g', [0]]]), [hold], orphan, c, undefined);
    await runScript(
      store.client,
      'ops',
      [marker],
      // One section, no sequence seen yet; one operation: reserve over section 1.
      [
        c.now,
        c.now,
        (await store.client.get(store.keys.meta('gen'))) ?? '',
        1,
        '1',
        0,
        1,
        'reserve',
        1,
        args.length,
        1,
        ...args,
      ],
    );
    expect(await counters(engine, 'acme')).toEqual({ global: [0, 400], 'per-tenant': [0, 0] });
    expect(await store.getReservation('orphan')).toBeUndefined();
    clock.advance(1000 + 5000 + 1);
    await engine.reserve({ scope: { tenant: 'zed' }, estimate: { inputTokens: 1 } });
    expect(await counters(engine, 'zed')).toEqual({ global: [0, 1], 'per-tenant': [0, 1] });
  });
});
