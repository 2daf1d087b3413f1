import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisUnavailableError } from '../../src/store/redis-connection.ts';
import { RedisStore } from '../../src/store/redis-store.ts';
import { FakeClock, makeEngine, rec } from '../helpers/engine.ts';
import { RedisServer } from '../redis/redis-server.ts';

/**
 * Failure semantics of the Redis store against a real redis-server that the tests stop,
 * restart, empty and roll back: HARD budgets deny, the others go on with their usage
 * buffered and replayed exactly once; a Redis that lost or rewound its data is refused,
 * never read as "no spend so far".
 */

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

async function setup(opts: { appendOnly?: boolean; maxBufferedRecords?: number } = {}) {
  const redis = await RedisServer.start({ appendOnly: opts.appendOnly ?? false });
  cleanups.push(() => redis.destroy());
  const clock = new FakeClock();
  const store = new RedisStore({
    url: redis.url,
    now: clock.now,
    commandTimeoutMs: 500,
    ...(opts.maxBufferedRecords !== undefined ? { maxBufferedRecords: opts.maxBufferedRecords } : {}),
  });
  cleanups.push(() => store.close());
  const { engine } = await makeEngine({ store, clock });
  await engine.putBudget({
    id: 'hard',
    selector: { tenant: 'acme' },
    resource: 'tokens',
    period: 'day',
    limit: 100_000,
    policy: 'HARD_LIMIT',
  });
  await engine.putBudget({
    id: 'warn',
    selector: { tenant: 'beta' },
    resource: 'tokens',
    period: 'day',
    limit: 100_000,
    policy: 'WARN',
  });
  return { redis, clock, store, engine };
}

async function until(what: string, ok: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const used = async (engine: Awaited<ReturnType<typeof setup>>['engine'], tenant: string) =>
  (await engine.check({ scope: { tenant } })).budgets[0]!.used;

describe('Redis unreachable', () => {
  it('HARD denies saying why, WARN allows; usage meanwhile is buffered and lands exactly once', async () => {
    const { redis, store, engine } = await setup({ appendOnly: true });
    // A reservation made before the outage, committed during it.
    const before = await engine.reserve({ scope: { tenant: 'beta' }, estimate: { inputTokens: 10 } });
    await engine.record([rec({ id: 'b0', scope: { tenant: 'beta' }, usage: { input: 5, output: 0 } })]);
    expect(await used(engine, 'beta')).toBe(5);

    await redis.stop();
    const hard = await engine.reserve({ scope: { tenant: 'acme' }, estimate: { inputTokens: 10 } });
    expect(hard.storeUnavailable).toBe(true);
    expect(hard.decision.allowed).toBe(false);
    expect(hard.decision.reasons[0]).toMatch(
      /^hard: budget store unavailable \(redis unavailable: .+\); failing closed$/,
    );
    const warn = await engine.reserve({ scope: { tenant: 'beta' }, estimate: { inputTokens: 10 } });
    expect(warn.storeUnavailable).toBe(true);
    expect(warn.decision.allowed).toBe(true);
    expect(warn.decision.reasons[0]).toContain('failing open');

    // The fail-open call's usage (sent twice, as a retrying client would) and the commit.
    const usage = { input: 40, output: 0 };
    await engine.record([rec({ id: 'b1', scope: { tenant: 'beta' }, usage })]);
    await engine.record([rec({ id: 'b1', scope: { tenant: 'beta' }, usage })]);
    await engine.record([rec({ id: 'b2', scope: { tenant: 'beta' }, usage })]);
    const committed = await engine.commit(before.reservation!.id, { id: 'b3', usage: { input: 7 } });
    expect(committed.status).toBe('committed');
    const down = await store.health();
    expect(down).toMatchObject({ ready: false, buffered: 4, replayed: 0 });
    expect(down.reason).toMatch(/redis is not connected/);

    await redis.restart();
    await until('the buffer to drain', async () => (await store.health()).buffered === 0);
    expect(await store.health()).toMatchObject({ ready: true, buffered: 0, replayed: 4 });
    // 5 before + 40 + 40 + 7: b1 counted once; the commit dropped its 10-token hold.
    const after = await engine.check({ scope: { tenant: 'beta' } });
    expect([after.budgets[0]!.used, after.budgets[0]!.reserved]).toEqual([92, 0]);
    const ids = (await store.queryUsage({ from: 0, to: Date.parse('2027-01-01') })).map((r) => r.id).sort();
    expect(ids).toEqual(['b0', 'b1', 'b2', 'b3']);
    expect((await store.getReservation(before.reservation!.id))!.state).toBe('committed');
    // And HARD works again.
    expect((await engine.reserve({ scope: { tenant: 'acme' } })).reservation).toBeDefined();
  });

  it('bounds the buffer: past it, recording fails loudly and the refusal is counted', async () => {
    const { redis, store, engine } = await setup({ maxBufferedRecords: 2 });
    await redis.stop();
    await engine.record([rec({ id: 'x1', scope: { tenant: 'beta' } })]);
    await engine.record([rec({ id: 'x2', scope: { tenant: 'beta' } })]);
    await expect(engine.record([rec({ id: 'x3', scope: { tenant: 'beta' } })])).rejects.toThrow(
      RedisUnavailableError,
    );
    expect(await store.health()).toMatchObject({ buffered: 2, rejected: 1 });
  });
});

describe('Redis that lost or rewound its data', () => {
  it('restarted empty: refused (HARD denies), also after a new replica started a new generation there', async () => {
    const { redis, store, engine } = await setup();
    await engine.record([rec({ id: 'a1', scope: { tenant: 'acme' }, usage: { input: 90_000, output: 0 } })]);
    expect(await used(engine, 'acme')).toBe(90_000);
    await redis.restart(); // no persistence: everything is gone
    await until('the client to reconnect', () => store.client.status === 'ready');

    const d = await engine.reserve({ scope: { tenant: 'acme' }, estimate: { inputTokens: 20_000 } });
    expect(d.storeUnavailable).toBe(true);
    expect(d.decision.allowed).toBe(false);
    expect(d.decision.reasons[0]).toMatch(/cannot be trusted: its generation marker is gone/);
    await expect(engine.check({ scope: { tenant: 'acme' } })).resolves.toMatchObject({ allowed: false });
    const h = await store.health();
    expect(h.ready).toBe(false);
    expect(h.reason).toMatch(/generation changed|cannot be trusted/);

    // A replica starting now sees an empty Redis and can only begin a new generation (the
    // limit of detection: see the README); the replica that knew the old one keeps refusing.
    const fresh = new RedisStore({ url: redis.url, now: () => Date.parse('2026-03-15T12:00:00Z') });
    cleanups.push(() => fresh.close());
    const other = await makeEngine({ store: fresh });
    expect((await other.engine.reserve({ scope: { tenant: 'acme' } })).reservation).toBeDefined();
    const still = await engine.reserve({ scope: { tenant: 'acme' }, estimate: { inputTokens: 1 } });
    expect(still.decision.reasons[0]).toMatch(/another keyspace generation/);
    expect((await store.health()).reason).toMatch(/generation changed/);
  });

  it('restored from an older snapshot: the write sequence went back, every replica is told', async () => {
    const { redis, store, engine } = await setup();
    await engine.record([rec({ id: 'r1', scope: { tenant: 'acme' }, usage: { input: 1000, output: 0 } })]);
    await store.client.call('SAVE');
    copyFileSync(path.join(redis.dir, 'dump.rdb'), path.join(redis.dir, 'old.rdb'));
    await engine.record([rec({ id: 'r2', scope: { tenant: 'acme' }, usage: { input: 2000, output: 0 } })]);
    expect(await used(engine, 'acme')).toBe(3000);
    await redis.stop();
    copyFileSync(path.join(redis.dir, 'old.rdb'), path.join(redis.dir, 'dump.rdb'));
    await redis.restart();
    await until('the client to reconnect', () => store.client.status === 'ready');

    const d = await engine.reserve({ scope: { tenant: 'acme' }, estimate: { inputTokens: 10 } });
    expect(d.decision.allowed).toBe(false);
    expect(d.decision.reasons[0]).toMatch(/its write sequence went back/);
    // The flag is in Redis: a replica that never saw the newer state is refused too.
    const fresh = new RedisStore({ url: redis.url, now: () => Date.parse('2026-03-15T12:00:00Z') });
    cleanups.push(() => fresh.close());
    const other = await makeEngine({ store: fresh });
    await expect(
      other.engine.reserve({ scope: { tenant: 'acme' }, estimate: { inputTokens: 10 } }),
    ).resolves.toMatchObject({ storeUnavailable: true });
    // The operator accepts the restored data: a new generation, the old counters as they are.
    await store.resetGeneration();
    expect(await used(engine, 'acme')).toBe(1000);
    expect((await engine.reserve({ scope: { tenant: 'acme' } })).reservation).toBeDefined();
  });
});

describe('holds of reservations nobody ends', () => {
  it('expire inside the scripts after the TTL (plus grace), are counted, and a late commit still counts', async () => {
    const { store, engine, clock } = await setup();
    const r = await engine.reserve({
      scope: { tenant: 'acme' },
      estimate: { inputTokens: 500 },
      ttlMs: 1000,
    });
    expect((await engine.check({ scope: { tenant: 'acme' } })).budgets[0]!.reserved).toBe(500);
    clock.advance(1000 + 5000 + 1);
    // Any later script on the tenant's section prunes it: no sweep needed.
    await engine.reserve({ scope: { tenant: 'acme' }, estimate: { inputTokens: 1 } });
    const c = (await engine.check({ scope: { tenant: 'acme' } })).budgets[0]!;
    expect([c.used, c.reserved]).toEqual([0, 1]);
    expect((await store.health()).holdsExpired).toBe(1);
    expect(await store.client.hget(`${store.keys.stats('t:acme')}`, 'expired')).toBe('1');
    expect((await store.getReservation(r.reservation!.id))!.state).toBe('expired');
    const late = await engine.commit(r.reservation!.id, { usage: { input: 300 } });
    expect(late.status).toBe('late');
    expect(await used(engine, 'acme')).toBe(300);
  });

  it('reloads its scripts after SCRIPT FLUSH (EVALSHA answered NOSCRIPT)', async () => {
    const { store, engine } = await setup();
    await store.client.call('SCRIPT', 'FLUSH');
    expect((await engine.reserve({ scope: { tenant: 'acme' } })).reservation).toBeDefined();
    expect(await store.client.call('SCRIPT', 'EXISTS', '0'.repeat(40))).toEqual([0]);
  });
});
