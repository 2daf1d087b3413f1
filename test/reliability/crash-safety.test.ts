import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { redisOptionsFromConfig, redisStoreConfigSchema } from '../../src/store/redis-config.ts';
import { RedisStore } from '../../src/store/redis-store.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { RedisServer } from '../redis/redis-server.ts';
import { type ChildService, freePorts, spawnService, writeConfig } from './child-service.ts';
import { ADMIN_KEY, CRASH_BUDGETS, CRASH_KEYS, INGEST_KEY, startTraffic } from './crash-traffic.ts';
import { envInt, seededRandom, sleep } from './random.ts';

/**
 * Crash safety: `bursar serve` (a child process with a config file, on fixed ports) is
 * SIGKILLed at random moments and restarted, again and again, under the traffic of
 * crash-traffic.ts (official OTLP exporters, REST reserve/commit/release with idempotency
 * keys); afterwards the store, read directly, holds every acknowledged span and commit
 * exactly once and nothing else. Once with one service on SQLite (one data directory
 * across restarts), once with two replicas sharing a Redis (append-only, fsync always) that
 * are killed in turn while clients move between them.
 *
 * BURSAR_CRASH_KILLS (default 10; 6 for the replicas) sets the kills, BURSAR_CRASH_SEED
 * repeats a run. No configured key may appear in any output of any process started.
 */

const KILLS = envInt('BURSAR_CRASH_KILLS', 10);
const REPLICA_KILLS = envInt('BURSAR_CRASH_KILLS', 6);
const seedOf = () =>
  process.env.BURSAR_CRASH_SEED ? seededRandom(envInt('BURSAR_CRASH_SEED', 0)) : seededRandom();

const dir = mkdtempSync(path.join(tmpdir(), 'bursar-crash-'));
const started: ChildService[] = [];
afterAll(async () => {
  for (const s of started) await s.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** A replica: its config file (fixed ports) and the process running it now. */
interface Replica {
  config: string;
  otlpUrl: string;
  apiUrl: string;
  svc: ChildService;
}

async function replica(name: string, store: Record<string, unknown>): Promise<Replica> {
  const [otlpPort, apiPort] = await freePorts(2);
  const config = writeConfig(
    dir,
    {
      host: '127.0.0.1',
      otlp: { port: otlpPort },
      api: { port: apiPort },
      store: store as never,
      auth: CRASH_KEYS,
      budgets: [...CRASH_BUDGETS],
      log: { level: 'info' },
    },
    `${name}.yaml`,
  );
  const svc = await spawnService(config);
  started.push(svc);
  return { config, otlpUrl: `http://127.0.0.1:${otlpPort}`, apiUrl: `http://127.0.0.1:${apiPort}`, svc };
}

/** Kills a random replica at a random moment, restarts it, `kills` times. */
async function killLoop(replicas: Replica[], kills: number, rnd: ReturnType<typeof seededRandom>) {
  for (let k = 0; k < kills; k++) {
    await sleep(rnd.int(100, 1200));
    const r = replicas[rnd.int(0, replicas.length - 1)]!;
    await r.svc.kill();
    await sleep(rnd.int(0, 300));
    r.svc = await spawnService(r.config);
    started.push(r.svc);
  }
  await sleep(500);
}

function noKeyInOutput(): void {
  const all = started.flatMap((s) => s.output).join('\n');
  for (const key of [INGEST_KEY, ADMIN_KEY]) expect(all.includes(key)).toBe(false);
}

describe('crash safety under SIGKILL', () => {
  it(
    `one service on SQLite: spans and REST commits counted exactly once across ${KILLS} kills`,
    { timeout: 60_000 + KILLS * 8_000 },
    async () => {
      const rnd = seedOf();
      console.log(`crash-safety sqlite: seed ${rnd.seed} (BURSAR_CRASH_SEED to repeat), ${KILLS} kills`);
      const dataDir = path.join(dir, 'data');
      const one = await replica('sqlite', { kind: 'sqlite', dataDir });
      const traffic = startTraffic({
        otlpUrls: [one.otlpUrl],
        apiUrls: [one.apiUrl],
        rnd,
        senders: 3,
        workers: 2,
      });
      await killLoop([one], KILLS, rnd);
      await traffic.stop();
      expect(await one.svc.stop()).toBe(0);
      expect(traffic.failures).toEqual([]);
      console.log('crash-safety sqlite traffic', traffic.stats);
      noKeyInOutput();
      const store = new SqliteStore({ path: path.join(dataDir, 'bursar.db') });
      await store.init();
      try {
        await traffic.verify(store);
      } finally {
        await store.close();
      }
    },
  );

  it(
    `two replicas on one Redis, killed in turn: exactly once across ${REPLICA_KILLS} kills`,
    { timeout: 60_000 + REPLICA_KILLS * 8_000 },
    async () => {
      const rnd = seedOf();
      console.log(`crash-safety redis: seed ${rnd.seed}, ${REPLICA_KILLS} kills`);
      const redis = await RedisServer.start({ appendOnly: true });
      try {
        const store = { kind: 'redis', redis: { url: redis.url, prefix: 'crash' } };
        const replicas = [await replica('r1', store), await replica('r2', store)];
        const traffic = startTraffic({
          otlpUrls: replicas.map((r) => r.otlpUrl),
          apiUrls: replicas.map((r) => r.apiUrl),
          rnd,
          senders: 3,
          workers: 2,
        });
        await killLoop(replicas, REPLICA_KILLS, rnd);
        await traffic.stop();
        for (const r of replicas) expect(await r.svc.stop()).toBe(0);
        expect(traffic.failures).toEqual([]);
        console.log('crash-safety redis traffic', traffic.stats);
        noKeyInOutput();
        const reader = new RedisStore(redisOptionsFromConfig(redisStoreConfigSchema.parse(store.redis)));
        await reader.init();
        try {
          await traffic.verify(reader);
        } finally {
          await reader.close();
        }
      } finally {
        await redis.destroy();
      }
    },
  );
});
