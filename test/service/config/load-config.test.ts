import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../../src/service/config/load-config.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'bursar-cfg-'));
function yamlFile(text: string): string {
  const file = path.join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
}
function failure(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('service configuration', () => {
  it('works with nothing: loopback, 4318, 8013, SQLite under ./data', () => {
    const c = loadConfig({ env: {} });
    expect(c.host).toBe('127.0.0.1');
    expect(c.otlp.port).toBe(4318);
    expect(c.api.port).toBe(8013);
    expect(c.store).toEqual({
      kind: 'sqlite',
      dataDir: './data',
      synchronous: 'FULL',
      dedupeWindow: 1_000_000,
    });
    expect(c.auth.keys).toEqual([]);
    expect(c.websocket.heartbeatMs).toBe(30_000);
  });

  it('layers file < BURSAR_* variables < flags', () => {
    const file = yamlFile(
      'host: 0.0.0.0\notlp:\n  port: 5000\napi:\n  port: 6000\nstore:\n  dataDir: /var/x\n',
    );
    const env = { BURSAR_OTLP_PORT: '5001', BURSAR_DATA_DIR: '/var/y' };
    const c = loadConfig({ file, env, overrides: { dataDir: '/var/z' } });
    expect(c.host).toBe('0.0.0.0');
    expect(c.otlp.port).toBe(5001);
    expect(c.api.port).toBe(6000);
    expect(c.store.dataDir).toBe('/var/z');
    expect(loadConfig({ env: { BURSAR_CONFIG: file } }).api.port).toBe(6000);
  });

  it('names the key that is wrong', () => {
    const e1 = failure(() => loadConfig({ file: yamlFile('otlp:\n  port: "x"\n'), env: {} }));
    expect(e1.field).toBe('otlp.port');
    expect(e1.message).toContain('otlp.port');
    const e2 = failure(() => loadConfig({ file: yamlFile('otlp:\n  prot: 1\n'), env: {} }));
    expect(e2.message).toMatch(/otlp.*prot/);
    const e3 = failure(() =>
      loadConfig({
        file: yamlFile(
          'budgets:\n  - id: b1\n    resource: money\n    period: day\n    policy: WARN\n    limit: 1\n',
        ),
        env: {},
      }),
    );
    expect(e3.field).toBe('budgets.0.resource');
    expect(e3.message).toContain('unknown resource "money"');
    const e5 = failure(() => parseConfig({ websocket: { heartbeatMs: 10 } }));
    expect(e5.field).toBe('websocket.heartbeatMs');
    expect(parseConfig({ websocket: { heartbeatMs: 500 } }).websocket.heartbeatMs).toBe(500);
    const e4 = failure(() => loadConfig({ env: { BURSAR_API_PORT: 'eighty' } }));
    expect(e4.field).toBe('api.port');
    expect(e4.message).toContain('BURSAR_API_PORT');
  });

  it('accepts only scope labels in metrics.labels: the standard ones and customLabels', () => {
    const unknown = failure(() =>
      loadConfig({ file: yamlFile('metrics:\n  labels: [tenant, team]\n'), env: {} }),
    );
    expect(unknown.field).toBe('metrics.labels.1');
    expect(unknown.message).toContain('metrics.labels.1');
    expect(unknown.message).toContain('unknown scope label "team"');
    expect(unknown.message).toContain('customLabels');
    const custom = loadConfig({
      file: yamlFile('customLabels: [team]\nmetrics:\n  labels: [tenant, team, session]\n'),
      env: {},
    });
    expect(custom.metrics.labels).toEqual(['tenant', 'team', 'session']);
    expect(failure(() => parseConfig({ metrics: { labels: ['agent', 'agent'] } })).field).toBe(
      'metrics.labels.1',
    );
    const clash = failure(() => parseConfig({ customLabels: ['model'], metrics: { labels: ['model'] } }));
    expect(clash.field).toBe('metrics.labels.0');
    expect(clash.message).toContain('already a label of bursar_tokens_total');
  });

  it('reports unreadable and malformed files with their name', () => {
    const missing = failure(() => loadConfig({ file: path.join(dir, 'nope.yaml'), env: {} }));
    expect(missing.message).toContain('nope.yaml');
    expect(failure(() => loadConfig({ file: yamlFile('a: [1, 2\n'), env: {} })).message).toMatch(/\.yaml/);
    expect(failure(() => loadConfig({ file: yamlFile('- 1\n- 2\n'), env: {} })).message).toContain('mapping');
    expect(failure(() => loadConfig({ file: yamlFile('host: a\nhost: b\n'), env: {} })).message).toMatch(
      /unique|duplicate/i,
    );
  });

  it('resolves keys from the environment and validates roles', () => {
    const file = yamlFile(
      [
        'auth:',
        '  keys:',
        '    - { name: ops, keyEnv: OPS_KEY, role: admin }',
        '    - { name: acme, key: acme-key-0123456789, role: tenant, tenant: acme }',
      ].join('\n'),
    );
    const c = loadConfig({ file, env: { OPS_KEY: 'ops-key-0123456789' } });
    expect(c.auth.keys.map((k) => [k.name, k.key, k.role, k.tenant])).toEqual([
      ['ops', 'ops-key-0123456789', 'admin', undefined],
      ['acme', 'acme-key-0123456789', 'tenant', 'acme'],
    ]);
    expect(failure(() => loadConfig({ file, env: {} })).field).toBe('auth.keys.0.keyEnv');
    expect(
      failure(() => parseConfig({ auth: { keys: [{ name: 't', key: 'k'.repeat(16), role: 'tenant' }] } }))
        .field,
    ).toBe('auth.keys.0.tenant');
    expect(
      failure(() => parseConfig({ auth: { keys: [{ name: 't', key: 'short', role: 'admin' }] } })).field,
    ).toBe('auth.keys.0.key');
    const twice = { name: 'a', key: 'same-key-0123456789', role: 'admin' };
    expect(
      failure(() =>
        loadConfig({
          file: yamlFile(
            `auth: { keys: [${JSON.stringify(twice)}, ${JSON.stringify({ ...twice, name: 'b' })}] }`,
          ),
          env: {},
        }),
      ).field,
    ).toBe('auth.keys.1.key');
  });
});
