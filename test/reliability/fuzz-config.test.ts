import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, loadConfig, parseConfig } from '../../src/service/config/load-config.ts';
import { PriceCatalog } from '../../src/pricing/catalog.ts';
import { loadCustomPrices } from '../../src/service/custom-prices.ts';
import { ValidationError } from '../../src/validation/errors.ts';
import { runs, FUZZ_TIMEOUT } from './fuzz-arbitraries.ts';

/**
 * Fuzzing what the service reads before it starts: bursar.yaml (text and trees), the
 * BURSAR_* variables, and the custom prices file in the data directory. Each either loads
 * or is refused with a ConfigError (ValidationError for the prices file) that has a
 * message — never another exception, never a hang (YAML alias bombs, deep nesting).
 *
 * ≈40k cases at BURSAR_FUZZ_SCALE=1.
 */

const dir = mkdtempSync(path.join(tmpdir(), 'bursar-fuzz-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'bursar.yaml');
let cases = 0;
afterAll(() => console.log(`fuzz-config: ${cases} cases`));

/** Loads; a refusal must be a ConfigError with a message. */
function loads(fn: () => unknown): boolean {
  cases++;
  try {
    fn();
    return true;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    expect(e.message.length).toBeGreaterThan(0);
    return false;
  }
}

const VALID = {
  host: '127.0.0.1',
  otlp: {
    port: 4318,
    maxBodyBytes: 1_000_000,
    maxInFlightBytes: 8_000_000,
    resourceLabels: { 'service.name': 'agent' },
    spanLabels: { 'app.user': 'user' },
    precedence: 'spans',
  },
  api: { port: 8013, maxBodyBytes: 100_000 },
  store: { kind: 'sqlite', dataDir: './data', synchronous: 'NORMAL' },
  auth: {
    keys: [
      { name: 'ops', key: 'a-very-long-admin-key-123', role: 'admin' },
      { name: 'acme', keyEnv: 'ACME_KEY', role: 'tenant', tenant: 'acme' },
    ],
  },
  budgets: [
    {
      id: 'daily',
      resource: 'cost_usd',
      period: 'day',
      limit: 10,
      policy: 'HARD_LIMIT',
      groupBy: ['tenant'],
      thresholds: [0.8],
    },
  ],
  customLabels: ['team'],
  metrics: { labels: ['tenant', 'team'], maxValuesPerLabel: 50 },
  websocket: { heartbeatMs: 1000 },
  webhooks: [{ url: 'http://127.0.0.1:9/hook', secret: 'webhook-secret-0123456789', tenant: 'acme' }],
  log: { level: 'warn' },
};
const ENV = { ACME_KEY: 'acme-key-0123456789abcdef' };

function replaceAt(seed: unknown, at: number, replacement: unknown): unknown {
  const root = structuredClone(seed);
  const nodes: { parent: Record<string | number, unknown>; key: string | number }[] = [];
  const walk = (v: unknown) => {
    if (v === null || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      nodes.push({ parent: v as Record<string, unknown>, key: Array.isArray(v) ? Number(k) : k });
      walk(x);
    }
  };
  walk(root);
  const node = nodes[at % nodes.length]!;
  node.parent[node.key] = replacement;
  return root;
}

const special = fc.constantFrom(
  -1,
  0,
  65536,
  1e308,
  1.5,
  Number.MAX_SAFE_INTEGER + 2,
  '',
  'x'.repeat(600),
  '0.0.0.0',
  'redis',
  'memory',
  null,
  true,
  [],
  {},
  ['tenant', 'tenant'],
  { url: 'redis://127.0.0.1:1' },
);
const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 3 }), special);

describe('config loader under fuzzing', { timeout: FUZZ_TIMEOUT }, () => {
  it('the valid config loads', () => {
    writeFileSync(file, stringify(VALID));
    expect(loads(() => loadConfig({ file, env: ENV }))).toBe(true);
  });

  it('trees: any value anywhere replaced by any other', () => {
    fc.assert(
      fc.property(fc.nat(), anyValue, (at, v) => {
        loads(() => parseConfig(replaceAt(VALID, at, v)));
      }),
      { numRuns: runs(15_000) },
    );
  });

  it('trees: random objects, and unknown keys at any level', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.jsonValue(), fc.dictionary(fc.string({ maxLength: 10 }), anyValue)),
        fc.nat(),
        (value, at) => {
          loads(() => parseConfig(value));
          loads(() => parseConfig(replaceAt(VALID, at, { ...VALID.otlp, surprise: value })));
        },
      ),
      { numRuns: runs(5000) },
    );
  });

  it('YAML text: valid files with characters changed, cut or inserted', () => {
    const text = stringify(VALID);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 4 }), fc.string({ maxLength: 4 })), {
          minLength: 1,
          maxLength: 3,
        }),
        (edits) => {
          let t = text;
          for (const [at, del, ins] of edits) {
            const i = at % (t.length + 1);
            t = t.slice(0, i) + ins + t.slice(i + del);
          }
          writeFileSync(file, t);
          loads(() => loadConfig({ file, env: ENV }));
        },
      ),
      { numRuns: runs(5000) },
    );
  });

  it('YAML text: anything, and alias bombs, deep nesting, huge documents, binary', () => {
    const bombs = [
      // A billion laughs: refused by the alias limit, not expanded.
      `a: &a ["x","x","x","x","x","x","x","x","x","x"]\n${Array.from(
        { length: 9 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(',')}]`,
      ).join('\n')}\n`,
      `${'- '.repeat(5000)}x\n`,
      `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
      `${'{a: '.repeat(3000)}1${'}'.repeat(3000)}`,
      `otlp: {port: ${'9'.repeat(400)}}`,
      `host: "${'\\u0000'.repeat(1000)}"`,
      'otlp: &x\n  port: *x\n',
      'otlp: *nowhere\n',
      '!!js/function "function(){}"',
      'a: !!binary AAAA\nb: !!set {x}\nc: !!omap [x: 1]',
      '%YAML 9.9\n---\nhost: x',
      'host: x\n---\nhost: y\n',
      '\ufeffhost: x',
      Buffer.from([0xff, 0xfe, 0x00, 0x41]).toString('latin1'),
      `budgets: [${Array(20_000).fill('{}').join(',')}]`,
    ];
    for (const b of bombs) {
      writeFileSync(file, b);
      loads(() => loadConfig({ file, env: ENV }));
    }
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.jsonValue().map((v) => stringify(v)),
        ),
        (t) => {
          writeFileSync(file, t);
          loads(() => loadConfig({ file, env: ENV }));
        },
      ),
      { numRuns: runs(5000) },
    );
  });

  it('BURSAR_* variables with any value', () => {
    const names = [
      'BURSAR_HOST',
      'BURSAR_OTLP_PORT',
      'BURSAR_API_PORT',
      'BURSAR_DATA_DIR',
      'BURSAR_STORE',
      'BURSAR_LOG_LEVEL',
      'ACME_KEY',
    ];
    writeFileSync(file, stringify(VALID));
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom(...names),
          fc.oneof(
            fc.string({ maxLength: 20 }),
            fc.constantFrom('1e3', '0x10', '-0', ' 80', '70000', 'NaN', 'redis', 'memory'),
          ),
        ),
        (env) => {
          loads(() => loadConfig({ file, env }));
        },
      ),
      { numRuns: runs(4000) },
    );
  });

  it('the custom prices file in the data directory', () => {
    const dataDir = path.join(dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    const config = parseConfig({ store: { dataDir } });
    const good = {
      format: 'bursar-custom-prices',
      version: 1,
      savedAt: '2026-05-20T00:00:00Z',
      prices: [
        {
          model: 'm',
          provider: 'openai',
          effectiveFrom: '2026-01-01',
          source: 'test',
          input: 1000,
          output: 2000,
        },
      ],
    };
    const refusedWell = (text: string) => {
      cases++;
      writeFileSync(path.join(dataDir, 'prices.json'), text);
      try {
        // What the service does with the file at start.
        new PriceCatalog({ custom: loadCustomPrices(config) });
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
        expect(e.message).toContain('prices.json');
      }
    };
    refusedWell(JSON.stringify(good));
    fc.assert(
      fc.property(fc.nat(), anyValue, (at, v) => refusedWell(JSON.stringify(replaceAt(good, at, v)))),
      { numRuns: runs(2500) },
    );
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string({ maxLength: 40 })), (t) => refusedWell(t)),
      { numRuns: runs(500) },
    );
  });
});
