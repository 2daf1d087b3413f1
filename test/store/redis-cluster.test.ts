import { afterAll, beforeAll, expect, it } from 'vitest';
import { keySlot } from '../../src/store/redis-keys.ts';
import { RedisStore } from '../../src/store/redis-store.ts';
import { rawCommand } from '../redis/redis-server.ts';
import { concurrencyProperty } from '../budget/concurrency.property.ts';
import { RedisCluster } from '../redis/redis-cluster.ts';
import { T0 } from './fixtures.ts';
import { storeContract } from './store-contract.ts';

// The shared Store contract on a real three-master Redis Cluster on loopback: the store
// routes each section's script to its slot's node (one call per slot, compensated).
let cluster: RedisCluster;
let n = 0;
beforeAll(async () => {
  cluster = await RedisCluster.start();
}, 60_000);
afterAll(async () => {
  await cluster?.destroy();
});

it('our CRC16 slot of every section agrees with CLUSTER KEYSLOT', async () => {
  for (const tag of ['t:acme', 't:globex', 'g', 'm']) {
    const reply = await rawCommand(cluster.nodes[0]!.port, 'CLUSTER', 'KEYSLOT', `bursar:{${tag}}:x`);
    expect(Number(reply.slice(1))).toBe(keySlot(`bursar:{${tag}}:x`));
  }
});

it('the engine’s concurrency property holds on the Cluster (global + per-tenant HARD budgets, compensated steps)', async () => {
  await concurrencyProperty(
    async () =>
      new RedisStore({
        nodes: cluster.seeds,
        prefix: `cp${++n}`,
        now: () => Date.parse('2026-03-15T12:00:00Z'),
      }),
    Number(process.env.BURSAR_REDIS_RUNS ?? 10),
  );
}, 180_000);

storeContract('redis cluster', async () => {
  n += 1;
  const store = new RedisStore({ nodes: cluster.seeds, prefix: `cl${n}`, now: () => T0 });
  return { store, cleanup: () => store.close() };
});
