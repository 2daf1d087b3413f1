import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.ts';

const root = path.resolve(import.meta.dirname, '../..');
const ADMIN = 'cli-admin-key-0000001';
const ACME = 'cli-acme-key-00000001';
let svc: TestService;
const dir = mkdtempSync(path.join(tmpdir(), 'bursar-cli-'));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real CLI as a child process against the running service. */
function bursar(args: string[], key: string | undefined = ADMIN, url?: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(root, 'src/cli/main.ts'), ...args],
      {
        env: { ...process.env, BURSAR_URL: url ?? svc.apiUrl, BURSAR_API_KEY: key ?? '', NO_COLOR: '1' },
        timeout: 20_000,
      },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  svc = await startTestService({
    auth: {
      keys: [
        { name: 'ops', key: ADMIN, role: 'admin' },
        { name: 'acme', key: ACME, role: 'tenant', tenant: 'acme' },
      ],
    },
  });
  // Counters start when a budget is created: make it before the usage lands.
  await svc.context.engine.putBudget({
    id: 'acme-daily',
    resource: 'cost_usd',
    period: 'day',
    limit: 2,
    policy: 'HARD_LIMIT',
    selector: { tenant: 'acme' },
  });
  // gpt-4o-mini: $0.15/M input, $0.60/M output (shipped table) — 10 calls of 1M in + 100k out.
  await svc.context.engine.record(
    Array.from({ length: 10 }, (_, i) => ({
      id: `r${i}`,
      time: svc.context.engine.now() - 1000,
      provider: 'openai',
      operation: 'chat',
      requestModel: 'gpt-4o-mini',
      usage: { input: 1_000_000, output: 100_000 },
      scope: { tenant: 'acme', agent: i < 6 ? 'researcher' : 'writer' },
      durationMs: 100,
    })),
  );
});
afterAll(async () => {
  await svc.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('bursar CLI against a running service', () => {
  it('sets, lists and deletes budgets', async () => {
    const set = await bursar([
      'limits',
      'set',
      'acme-weekly',
      '--resource',
      'cost_usd',
      '--period',
      'week',
      '--limit',
      '20',
      '--policy',
      'HARD_LIMIT',
      '--selector',
      'tenant=acme',
      '--time-zone',
      'Europe/Paris',
    ]);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('created budget acme-weekly');
    const list = await bursar(['limits', 'list', '--format', 'json']);
    const budgets = JSON.parse(list.stdout) as { spec: { id: string; limit: number } }[];
    expect(budgets.map((b) => [b.spec.id, b.spec.limit])).toEqual([
      ['acme-daily', 2],
      ['acme-weekly', 20],
    ]);
    expect((await bursar(['limits', 'delete', 'acme-weekly'])).code).toBe(0);
    const bad = await bursar([
      'limits',
      'set',
      'x',
      '--resource',
      'money',
      '--period',
      'day',
      '--limit',
      '1',
      '--policy',
      'WARN',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown resource "money"');
    await bursar([
      'limits',
      'set',
      'tmp',
      '--resource',
      'requests',
      '--period',
      'day',
      '--limit',
      '5',
      '--policy',
      'WARN',
    ]);
    expect((await bursar(['limits', 'delete', 'tmp'])).stdout).toContain('deleted budget tmp');
    expect((await bursar(['limits', 'delete', 'tmp'])).code).toBe(2);
  });

  it('shows status as a table, JSON and CSV, and --check exits 5 on a critical budget', async () => {
    // 10 × (1M × $0.15/M + 100k × $0.60/M) = 10 × $0.21 = $2.10 of a $2 limit.
    const table = await bursar(['status']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/acme-daily.*HARD_LIMIT.*day.*cost_usd.*\$2\.10.*\$2\.00.*105\.0% !/s);
    const json = JSON.parse((await bursar(['status', '--format', 'json'])).stdout) as {
      isAnyCritical: boolean;
      budgets: { display: { used: string } }[];
    };
    expect(json.isAnyCritical).toBe(true);
    expect(json.budgets[0]!.display.used).toBe('2.10');
    const csv = (await bursar(['status', '--format', 'csv'])).stdout.trim().split('\n');
    expect(csv[0]).toBe(
      'budget,policy,period,resource,used,reserved,limit,remaining,used %,period ends,exhausted at',
    );
    expect(csv).toHaveLength(2);
    expect((await bursar(['status', '--check'])).code).toBe(5);
  });

  it('groups usage by agent in every format', async () => {
    const json = JSON.parse((await bursar(['usage', '--group-by', 'agent', '--format', 'json'])).stdout) as {
      rows: { group: { agent: string }; calls: number; costUsd: string }[];
      total: { costUsd: string };
    };
    expect(json.rows.map((r) => [r.group.agent, r.calls, r.costUsd])).toEqual([
      ['researcher', 6, '1.26'],
      ['writer', 4, '0.84'],
    ]);
    expect(json.total.costUsd).toBe('2.10');
    const table = (await bursar(['usage', '--group-by', 'agent'])).stdout;
    expect(table).toMatch(/researcher.*6.*6,000,000.*600,000.*\$1\.26/);
    expect(table).toMatch(/TOTAL.*10.*\$2\.10/);
    const csv = (await bursar(['usage', '--group-by', 'agent', '--format', 'csv'])).stdout;
    expect(csv.split('\n')[0]).toContain('agent');
    expect(csv).toContain('researcher');
  });

  it('sets and lists prices; exports every record with a file output', async () => {
    const set = await bursar(['prices', 'set', 'my-model', '--input', '1', '--output', '2']);
    expect(set.code).toBe(0);
    const list = JSON.parse(
      (await bursar(['prices', 'list', '--model', 'my-model', '--format', 'json'])).stdout,
    ) as {
      prices: { model: string; origin: string; usdPerMTok: { input: string } }[];
    };
    expect(list.prices.map((p) => [p.model, p.origin, p.usdPerMTok.input])).toEqual([
      ['my-model', 'custom', '1.00'],
    ]);
    const file = path.join(dir, 'out.jsonl');
    const exp = await bursar(['export', '--output', file, '--page-size', '3', '--no-progress']);
    expect(exp.code).toBe(0);
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string });
    expect(lines.map((r) => r.id).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `r${i}`).sort());
    const csvFile = path.join(dir, 'out.csv');
    await bursar(['export', '--format', 'csv', '--output', csvFile, '--page-size', '4', '--no-progress']);
    expect(readFileSync(csvFile, 'utf8').trim().split('\n')).toHaveLength(11);
  });

  it('adds, lists and deletes overrides', async () => {
    const add = await bursar([
      'overrides',
      'add',
      'acme-daily',
      '--amount',
      '1',
      '--expires',
      '2h',
      '--reason',
      'launch day',
    ]);
    expect(add.code).toBe(0);
    const id = /override (\S+) added/.exec(add.stdout)![1]!;
    const list = JSON.parse((await bursar(['overrides', 'list', '--format', 'json'])).stdout) as {
      id: string;
    }[];
    expect(list.map((o) => o.id)).toEqual([id]);
    expect((await bursar(['status', '--check'])).code).toBe(0);
    expect((await bursar(['overrides', 'delete', id])).stdout).toContain(`deleted override ${id}`);
  });

  it('exits 3 on auth failures, 4 when the service is unreachable, 2 on bad arguments', async () => {
    const wrong = await bursar(['status'], 'not-a-real-key-000000');
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain('unknown API key');
    const tenant = await bursar(
      ['limits', 'set', 'x', '--resource', 'requests', '--period', 'day', '--limit', '1', '--policy', 'WARN'],
      ACME,
    );
    expect(tenant.code).toBe(3);
    const down = await bursar(['status'], ADMIN, 'http://127.0.0.1:9');
    expect(down.code).toBe(4);
    expect(down.stderr).toContain('cannot reach the bursar service at http://127.0.0.1:9');
    const args = await bursar(['usage', '--format', 'xml']);
    expect(args.code).toBe(2);
  });
});
