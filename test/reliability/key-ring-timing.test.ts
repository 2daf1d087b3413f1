import type * as Crypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { KeyRing } from '../../src/service/auth/key-ring.ts';
import type { ApiKeyConfig } from '../../src/service/config/config-schema.ts';

/**
 * Keys are compared in constant time, as far as a test can tell: every configured entry is
 * compared on every request (no early exit at a match or a miss, wherever the key sits),
 * only fixed-length SHA-256 digests are compared (a presented key's length leaks nothing),
 * with crypto.timingSafeEqual.
 */

const compared: [Buffer, Buffer][] = [];
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof Crypto>();
  return {
    ...real,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      compared.push([
        Buffer.from(a.buffer, a.byteOffset, a.byteLength),
        Buffer.from(b.buffer, b.byteOffset, b.byteLength),
      ]);
      return real.timingSafeEqual(a, b);
    },
  };
});

const KEYS: ApiKeyConfig[] = [
  { name: 'first', key: 'first-key-0123456789', role: 'admin' },
  { name: 'tenant', key: 't'.repeat(300), role: 'tenant', tenant: 'acme' },
  { name: 'ingest', key: 'ingest-key-0123456789abcdef', role: 'ingest' },
  { name: 'last', key: 'last-key-0123456789-zz', role: 'admin' },
];

describe('KeyRing comparisons', () => {
  const ring = new KeyRing(KEYS);

  it.each([
    ['the first key', 'first-key-0123456789', 'first'],
    ['the last key', 'last-key-0123456789-zz', 'last'],
    ['a 300-character key', 't'.repeat(300), 'tenant'],
    ['an unknown key', 'not-a-key-at-all-xxxx', undefined],
    ['a one-character key', 'x', undefined],
    ['a 10 000-character key', 'k'.repeat(10_000), undefined],
    ['a prefix of a key', 'first-key-012345678', undefined],
  ])('%s: every entry compared, 32-byte digests only', (_, key, name) => {
    compared.length = 0;
    const auth = ring.authenticate(`Bearer ${key}`);
    expect(auth.ok ? auth.principal.name : undefined).toBe(name);
    expect(compared).toHaveLength(KEYS.length);
    for (const [a, b] of compared) {
      expect(a.length).toBe(32);
      expect(b.length).toBe(32);
    }
    // The presented key is hashed once and that digest compared with each entry.
    expect(new Set(compared.map(([a]) => a.toString('hex'))).size).toBe(1);
  });
});
