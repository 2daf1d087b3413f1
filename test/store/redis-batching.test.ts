import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GenerationError } from '../../src/store/redis-generation.ts';
import { tenantTag } from '../../src/store/redis-keys.ts';
import { RedisStore } from '../../src/store/redis-store.ts';
import type { CounterRef, HoldSpec } from '../../src/store/store.ts';
import { hold, item, priced, ref, reservation, T0 } from './fixtures.ts';
import { RedisServer } from '../redis/redis-server.ts';

/**
 * On one Redis the store sends the operations made while earlier ones are on their way
 * together, in one script call. Each operation must stay its own: all or nothing for its
 * budgets, refused alone when its section cannot be trusted, failing alone on an error.
 */

let redis: RedisServer;
let n = 0;
const stores: RedisStore[] = [];
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});
afterAll(async () => {
  await redis?.destroy();
});

async function open(): Promise<RedisStore> {
  const store = new RedisStore({ url: redis.url, prefix: `b${++n}`, now: () => T0 });
  stores.push(store);
  await store.init();
  return store;
}

function tenantRef(budgetId: string, tenant: string): CounterRef {
  return { ...ref(budgetId, tenant), tenant };
}

async function scriptCalls(store: RedisStore): Promise<number> {
  const stats = String(await store.client.call('INFO', 'commandstats'));
  return Number(/cmdstat_evalsha:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}

/** Reservation `id` for `tenant`: 100 on the tenant's counter (cap 1000) and on a global one (cap 10 000). */
function reserveFor(store: RedisStore, id: string, tenant: string) {
  const holds: HoldSpec[] = [
    hold(tenantRef('per-tenant', tenant), 100, 1000),
    hold(ref('global'), 100, 10_000),
  ];
  return store.reserve(reservation(id, holds, { request: { scope: { tenant } } }), holds);
}

describe('operations sent together in one script call', () => {
  it('are each all or nothing: denied ones leave no hold on the budgets they passed', async () => {
    const store = await open();
    expect((await reserveFor(store, 'warm', 'acme')).ok).toBe(true); // sections registered and marked
    const before = await scriptCalls(store);
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, i) => reserveFor(store, `r${i}`, 'acme')),
    );
    // Made in one turn: a few script calls (four at most), not one per operation.
    expect((await scriptCalls(store)) - before).toBeLessThanOrEqual(4);
    // 1000 per tenant, 100 already held: nine more fit; the 21 denied hold nothing globally.
    expect(outcomes.filter((o) => o.ok)).toHaveLength(9);
    expect(outcomes.slice(0, 9).every((o) => o.ok)).toBe(true);
    const [tenant, global] = await store.getCounters([tenantRef('per-tenant', 'acme'), ref('global')]);
    expect(tenant).toEqual({ used: 0, reserved: 1000 });
    expect(global).toEqual({ used: 0, reserved: 1000 });
  });

  it('commit and record in one call each count once, with the holds dropped', async () => {
    const store = await open();
    for (const id of ['c1', 'c2']) expect((await reserveFor(store, id, 'acme')).ok).toBe(true);
    const inc = (id: string) =>
      item(priced(id, { scope: { tenant: 'acme' } }), [
        [tenantRef('per-tenant', 'acme'), 70],
        [ref('global'), 70],
      ]);
    const [a, b, again, rec] = await Promise.all([
      store.commit('c1', inc('u1')),
      store.commit('c2', inc('u2')),
      store.commit('c1', inc('u1')),
      store.record([inc('u2')]),
    ]);
    expect(a.status).toBe('committed');
    expect(b.status).toBe('committed');
    expect(again.status).toBe('duplicate');
    expect(rec[0]!.duplicate).toBe(true);
    const [tenant, global] = await store.getCounters([tenantRef('per-tenant', 'acme'), ref('global')]);
    expect(tenant).toEqual({ used: 140, reserved: 0 });
    expect(global).toEqual({ used: 140, reserved: 0 });
    const records = await store.queryUsage({ from: T0 - 1, to: T0 + 1 });
    expect(records.map((r) => r.id).sort()).toEqual(['u1', 'u2']);
  });

  it('refuse only the operations touching a section that cannot be trusted', async () => {
    const store = await open();
    for (const t of ['bad', 'good']) expect((await reserveFor(store, `w-${t}`, t)).ok).toBe(true);
    // What a restore from an older snapshot leaves, as another replica flagged it.
    await store.client.hset(store.keys.marker(tenantTag('bad')), 'rw', String(T0));
    const [bad, good] = await Promise.allSettled([
      reserveFor(store, 'x', 'bad'),
      reserveFor(store, 'y', 'good'),
    ]);
    expect(bad.status).toBe('rejected');
    expect((bad as PromiseRejectedResult).reason).toBeInstanceOf(GenerationError);
    expect(good).toMatchObject({ status: 'fulfilled', value: { ok: true } });
    const [goodTenant, global] = await store.getCounters([tenantRef('per-tenant', 'good'), ref('global')]);
    expect(goodTenant).toEqual({ used: 0, reserved: 200 });
    // w-bad, w-good and y: x placed nothing.
    expect(global).toEqual({ used: 0, reserved: 300 });
  });

  it('fail alone when one raises an error', async () => {
    const store = await open();
    for (const t of ['broken', 'fine']) expect((await reserveFor(store, `w-${t}`, t)).ok).toBe(true);
    // A key of the wrong type where the counter should be: the script's HMGET raises.
    const key = store.keys.counter(tenantTag('broken'), tenantRef('per-tenant', 'broken').key);
    await store.client.del(key);
    await store.client.set(key, 'not a hash');
    const [broken, fine] = await Promise.allSettled([
      reserveFor(store, 'x', 'broken'),
      reserveFor(store, 'y', 'fine'),
    ]);
    expect(broken.status).toBe('rejected');
    expect(String((broken as PromiseRejectedResult).reason)).toMatch(/WRONGTYPE/);
    expect(fine).toMatchObject({ status: 'fulfilled', value: { ok: true } });
    const [global] = await store.getCounters([ref('global')]);
    expect(global).toEqual({ used: 0, reserved: 300 });
    expect(await store.getReservation('x')).toBeUndefined();
  });
});
