import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Binary, binary } from './binaries.ts';

/** A loopback port nobody listens on right now (the servers started here need one up front). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

export interface RunningProcess {
  readonly child: ChildProcess;
  /** Everything the process wrote, for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within 5 s. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts a server binary and waits until `readyUrl` answers 200. Fails with the process's
 * own output when it exits early or is not ready in time.
 */
export async function startServer(name: Binary, args: string[], readyUrl: string): Promise<RunningProcess> {
  const child = spawn(binary(name), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString('utf8')));
  let exited = false;
  const exit = once(child, 'exit').then(() => (exited = true));
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exit;
    clearTimeout(timer);
  };
  for (let i = 0; i < 200; i++) {
    if (exited) throw new Error(`${name} exited before it was ready:\n${out}`);
    try {
      const res = await fetch(readyUrl);
      if (res.ok) return { child, output: () => out, stop };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await stop();
  throw new Error(`${name} was not ready at ${readyUrl} within 20 s:\n${out}`);
}
