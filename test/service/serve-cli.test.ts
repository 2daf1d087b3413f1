import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'bursar-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Started {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  api: string;
  otlp: string;
}

function runServe(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [path.join(root, 'src/cli/main.ts'), 'serve', ...args], {
    cwd: dir,
    env: { ...process.env, ...env, BURSAR_CONFIG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Waits for the startup line, keeping every JSON log line. */
async function started(child: ChildProcess): Promise<Started> {
  const lines: Record<string, unknown>[] = [];
  const rl = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`serve exited early with ${code}`)));
    rl.on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      lines.push(entry);
      if (typeof entry.api === 'string')
        resolve({ child, lines, api: entry.api, otlp: entry.otlp as string });
    });
  });
}

describe('bursar serve', () => {
  it('starts with no configuration, says where it listens, and stops cleanly on SIGTERM', async () => {
    const s = await started(runServe(['--otlp-port', '0', '--api-port', '0', '--host', '0.0.0.0']));
    const listening = s.lines.find((l) => typeof l.api === 'string')!;
    expect(listening.msg).toMatch(
      /OTLP\/HTTP http:\/\/127\.0\.0\.1:\d+\/v1\/traces, REST API http:\/\/127\.0\.0\.1:\d+\/v1, metrics/,
    );
    // No keys: the service refuses to listen beyond loopback and says so.
    expect(s.lines.some((l) => l.level === 40 && String(l.msg).includes('binding 127.0.0.1 only'))).toBe(
      true,
    );
    expect(s.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${s.api}/healthz`)).status).toBe(200);
    s.child.kill('SIGTERM');
    const [code] = (await once(s.child, 'exit')) as [number];
    expect(code).toBe(0);
    expect(s.lines.some((l) => String(l.msg).includes('everything accepted is committed'))).toBe(true);
  });

  it('refuses a bad configuration with exit code 2 and the key named', async () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'api:\n  port: 99999\n');
    const child = runServe(['--config', file]);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(2);
    expect(stderr).toContain('api.port');
    expect(stderr).toContain('bad.yaml');
  });

  it('with API keys configured there is no open-access warning, and no key is ever logged', async () => {
    const file = path.join(dir, 'keys.yaml');
    writeFileSync(file, 'auth:\n  keys:\n    - { name: ops, keyEnv: OPS_KEY, role: admin }\n');
    const s = await started(
      runServe(['--config', file, '--otlp-port', '0', '--api-port', '0', '--data', path.join(dir, 'd2')], {
        OPS_KEY: 'secret-admin-key-42',
      }),
    );
    expect(s.lines.some((l) => l.level === 40)).toBe(false);
    s.child.kill('SIGINT');
    await once(s.child, 'exit');
    expect(JSON.stringify(s.lines)).not.toContain('secret-admin-key-42');
  });
});
