import { afterAll, beforeAll, it } from 'vitest';
import { RedisStore } from '../../src/store/redis-store.ts';
import { concurrencyProperty } from '../budget/concurrency.property.ts';
import { RedisServer } from '../redis/redis-server.ts';

// The engine's concurrency property (many interleaved reserve → commit | release | abandon
// flows on a global and a per-tenant HARD budget) on a real Redis, both ways of calling it.
let redis: RedisServer;
let n = 0;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.destroy();
});

const CLOCK = Date.parse('2026-03-15T12:00:00Z');

for (const perSlot of [false, true]) {
  it(`Redis store${perSlot ? ' (one call per slot, compensated)' : ''}: concurrent reserve/commit never passes a HARD limit beyond admitted overruns`, async () => {
    await concurrencyProperty(
      async () => new RedisStore({ url: redis.url, prefix: `k${++n}`, perSlot, now: () => CLOCK }),
      Number(process.env.BURSAR_REDIS_RUNS ?? 40),
    );
  }, 180_000);
}
