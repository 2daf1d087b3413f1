import { afterAll, beforeAll } from 'vitest';
import { RedisStore } from '../../src/store/redis-store.ts';
import { RedisServer } from '../redis/redis-server.ts';
import { T0 } from './fixtures.ts';
import { storeContract } from './store-contract.ts';

// The shared Store contract against a real redis-server: once with every section in one
// script call (one Redis), once with one call per hash-tag section (the Cluster path).
let redis: RedisServer;
let n = 0;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.destroy();
});

for (const perSlot of [false, true]) {
  storeContract(perSlot ? 'redis (one call per slot)' : 'redis', async () => {
    // A fresh key prefix per test: the same server, nothing shared.
    n += 1;
    const store = new RedisStore({ url: redis.url, prefix: `c${n}`, perSlot, now: () => T0 });
    return { store, cleanup: () => store.close() };
  });
}
