import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, rawCommand, RedisServer, redisBinary } from './redis-server.ts';

const run = promisify(execFile);

/**
 * A three-master Redis Cluster on loopback for tests: three redis-server processes with
 * cluster mode on (data and bus ports picked free, the bus port given with cluster-port),
 * joined with `redis-cli --cluster create`, ready once every node says cluster_state:ok.
 */
export class RedisCluster {
  readonly nodes: RedisServer[];
  readonly #dir: string;

  private constructor(nodes: RedisServer[], dir: string) {
    this.nodes = nodes;
    this.#dir = dir;
  }

  static async start(): Promise<RedisCluster> {
    const cli = redisBinary('redis-cli');
    const dir = mkdtempSync(path.join(tmpdir(), 'bursar-cluster-'));
    const nodes: RedisServer[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const nodeDir = path.join(dir, `n${i}`);
        mkdirSync(nodeDir);
        const bus = await freePort();
        nodes.push(
          await RedisServer.start(
            {
              extra: [
                '--cluster-enabled',
                'yes',
                '--cluster-config-file',
                path.join(nodeDir, 'nodes.conf'),
                '--cluster-port',
                String(bus),
                '--cluster-node-timeout',
                '2000',
              ],
            },
            nodeDir,
          ),
        );
      }
      await run(cli, [
        '--cluster',
        'create',
        ...nodes.map((n) => `127.0.0.1:${n.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ]);
      const deadline = Date.now() + 20_000;
      for (const n of nodes) {
        while (!(await rawCommand(n.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) {
          if (Date.now() > deadline) throw new Error(`cluster node ${n.port} never reached cluster_state:ok`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      return new RedisCluster(nodes, dir);
    } catch (e) {
      for (const n of nodes) await n.stop();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  get seeds(): { host: string; port: number }[] {
    return this.nodes.map((n) => ({ host: '127.0.0.1', port: n.port }));
  }

  async destroy(): Promise<void> {
    for (const n of this.nodes) await n.stop();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
