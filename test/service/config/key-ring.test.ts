import { describe, expect, it } from 'vitest';
import { allows, tenantOf } from '../../../src/service/auth/principal.ts';
import { KeyRing } from '../../../src/service/auth/key-ring.ts';

const ring = new KeyRing([
  { name: 'ops', key: 'admin-key-0123456789', role: 'admin' },
  { name: 'acme', key: 'acme-key-0123456789', role: 'tenant', tenant: 'acme' },
  { name: 'collector', key: 'ingest-key-0123456789', role: 'ingest' },
]);

describe('API keys', () => {
  it('maps each bearer key to its principal, never exposing the key', () => {
    const a = ring.authenticate('Bearer acme-key-0123456789');
    expect(a).toEqual({ ok: true, principal: { name: 'acme', role: 'tenant', tenant: 'acme' } });
    expect(JSON.stringify(a)).not.toContain('0123456789');
    expect(ring.authenticate('bearer admin-key-0123456789')).toMatchObject({
      ok: true,
      principal: { role: 'admin' },
    });
    expect(ring.authenticate(['Bearer ingest-key-0123456789'])).toMatchObject({
      principal: { role: 'ingest' },
    });
  });

  it('answers 401 with a reason for missing, malformed and unknown keys', () => {
    expect(ring.authenticate(undefined)).toMatchObject({
      ok: false,
      status: 401,
      message: expect.stringContaining('missing'),
    });
    expect(ring.authenticate('Basic abc')).toMatchObject({
      ok: false,
      message: expect.stringContaining('Bearer'),
    });
    expect(ring.authenticate('Bearer acme-key-012345678')).toMatchObject({
      ok: false,
      message: 'unknown API key',
    });
    expect(ring.authenticate('Bearer acme-key-0123456789x')).toMatchObject({ ok: false });
  });

  it('is open (anonymous admin) only when no keys are configured', () => {
    const open = new KeyRing([]);
    expect(open.open).toBe(true);
    expect(open.authenticate(undefined)).toMatchObject({
      ok: true,
      principal: { name: 'anonymous', role: 'admin' },
    });
    expect(ring.open).toBe(false);
  });

  it('gives each role its capabilities', () => {
    const table = (['admin', 'tenant', 'ingest'] as const).map((role) => {
      const p = role === 'tenant' ? { name: 'x', role, tenant: 't1' } : { name: 'x', role };
      return [role, allows(p, 'ingest'), allows(p, 'use'), allows(p, 'admin'), tenantOf(p)];
    });
    expect(table).toEqual([
      ['admin', true, true, true, undefined],
      ['tenant', false, true, false, 't1'],
      ['ingest', true, false, false, undefined],
    ]);
  });
});
