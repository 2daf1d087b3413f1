import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Real redis-server processes for tests: loopback, a free port picked by binding port 0
 * first (redis-server itself is never given port 0), a temporary directory, stopped by
 * the test. A missing redis-server fails the test, with the package to install.
 */

export function redisBinary(name: 'redis-server' | 'redis-cli' = 'redis-server'): string {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/bin', '/usr/local/bin'])) {
    try {
      execFileSync(path.join(dir, name), ['--version'], { stdio: 'ignore' });
      return path.join(dir, name);
    } catch {
      // not here
    }
  }
  throw new Error(
    `${name} is not installed: the Redis tests need a real server (Debian: apt-get install redis-server; scripts/ensure-test-servers.sh does it)`,
  );
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** One RESP command over a fresh socket; the raw reply text. */
export async function rawCommand(port: number, ...args: string[]): Promise<string> {
  const socket = netConnect(port, '127.0.0.1');
  const body = `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
  return new Promise((resolve, reject) => {
    let got = '';
    socket.on('error', reject);
    socket.on('data', (d) => {
      got += d.toString();
      if (got.endsWith('\r\n')) {
        socket.end();
        resolve(got);
      }
    });
    socket.write(body);
  });
}

export interface RedisServerOptions {
  /** Append-only file with fsync on every write (tests of restarts keep their data). */
  appendOnly?: boolean;
  /** Extra redis-server arguments (e.g. cluster mode). */
  extra?: string[];
}

export class RedisServer {
  readonly dir: string;
  readonly port: number;
  readonly options: RedisServerOptions;
  #child: ChildProcess | undefined;
  readonly #ownDir: boolean;

  private constructor(port: number, dir: string, ownDir: boolean, options: RedisServerOptions) {
    this.port = port;
    this.dir = dir;
    this.#ownDir = ownDir;
    this.options = options;
  }

  static async start(options: RedisServerOptions = {}, dir?: string): Promise<RedisServer> {
    const bin = redisBinary();
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const server = new RedisServer(
        await freePort(),
        dir ?? mkdtempSync(path.join(tmpdir(), 'bursar-redis-')),
        dir === undefined,
        options,
      );
      try {
        await server.#spawn(bin);
        return server;
      } catch (e) {
        lastError = e;
        if (dir === undefined) rmSync(server.dir, { recursive: true, force: true });
      }
    }
    throw lastError;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async #spawn(bin: string): Promise<void> {
    const o = this.options;
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      o.appendOnly ? 'yes' : 'no',
      ...(o.appendOnly ? ['--appendfsync', 'always'] : []),
      '--logfile',
      path.join(this.dir, 'redis.log'),
      ...(o.extra ?? []),
    ];
    const child = spawn(bin, args, { stdio: 'ignore' });
    this.#child = child;
    const exited = once(child, 'exit').then(() => {
      throw new Error(`redis-server on port ${this.port} exited: ${this.#log()}`);
    });
    exited.catch(() => {});
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (!this.running) await exited;
      try {
        if ((await rawCommand(this.port, 'PING')).startsWith('+PONG')) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGKILL');
    throw new Error(`redis-server on port ${this.port} did not answer: ${this.#log()}`);
  }

  #log(): string {
    try {
      return readFileSync(path.join(this.dir, 'redis.log'), 'utf8').split('\n').slice(-5).join(' | ');
    } catch {
      return '(no log)';
    }
  }

  /** Stops the server (SIGTERM: with AOF, everything written is on disk) and waits. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }

  /** Starts it again on the same port and directory (AOF: with its data). */
  async restart(): Promise<void> {
    await this.stop();
    await this.#spawn(redisBinary());
  }

  /** Stops it and removes its directory. */
  async destroy(): Promise<void> {
    await this.stop();
    if (this.#ownDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
