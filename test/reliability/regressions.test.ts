import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../src/service/config/load-config.ts';
import { loadCustomPrices } from '../../src/service/custom-prices.ts';
import { ValidationError } from '../../src/validation/errors.ts';

/**
 * The smallest inputs that broke the service during the reliability campaign, each kept
 * as a plain example beside the fuzz test that found it.
 */

const dir = mkdtempSync(path.join(tmpdir(), 'bursar-regress-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a refusal');
}

describe('found by fuzz-config', () => {
  it('a YAML alias with no anchor is a ConfigError, not a ReferenceError from the yaml library', () => {
    const file = path.join(dir, 'alias.yaml');
    writeFileSync(file, 'otlp: *nowhere\n');
    const e = thrown(() => loadConfig({ file, env: {} }));
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).toContain('alias.yaml');
    expect((e as Error).message).toMatch(/Unresolved alias/);
  });

  it('a YAML alias bomb is a ConfigError, refused before it expands', () => {
    const file = path.join(dir, 'bomb.yaml');
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) {
      const name = String.fromCharCode(97 + i);
      const prev = String.fromCharCode(96 + i);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    writeFileSync(file, `${levels.join('\n')}\n`);
    const e = thrown(() => loadConfig({ file, env: {} }));
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).toMatch(/alias/i);
  });

  it('a damaged prices.json (null, wrong types) is a ValidationError naming the file and field', () => {
    const dataDir = path.join(dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    const config = parseConfig({ store: { dataDir } });
    const head = { format: 'bursar-custom-prices', version: 1, savedAt: '2026-05-20T00:00:00Z' };
    const price = {
      model: 'm',
      provider: 'openai',
      effectiveFrom: '2026-01-01',
      source: 's',
      input: 1,
      output: 2,
    };
    for (const [content, field] of [
      [null, 'format'],
      [{ ...head, prices: [null] }, 'prices.0'],
      [{ ...head, prices: [{ ...price, tiers: 5 }] }, 'prices.0.tiers'],
      [{ ...head, prices: [{ ...price, tiers: [null] }] }, 'prices.0.tiers.0'],
      [{ ...head, prices: [{ ...price, aliases: 'x' }] }, 'prices.0.aliases'],
      [{ ...head, prices: [{ ...price, model: 7 }] }, 'prices.0.model'],
      // An object where a figure belongs: the message used to stringify it, and threw.
      [{ ...head, prices: [{ ...price, input: { toString: 0 } }] }, 'prices.0.input'],
      [
        { ...head, prices: [{ ...price, tiers: [{ aboveInputTokens: 9, input: [], output: 1 }] }] },
        'prices.0.tiers.0.input',
      ],
    ] as const) {
      writeFileSync(path.join(dataDir, 'prices.json'), JSON.stringify(content));
      const e = thrown(() => loadCustomPrices(config));
      expect(e, JSON.stringify(content)).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).field).toBe(field);
      expect((e as Error).message).toContain('prices.json');
    }
  });
});
