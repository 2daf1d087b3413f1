import type { Role } from '../config/config-schema.ts';

/** Who a request comes from, once its key is checked. Never holds the key itself. */
export interface Principal {
  /** The key's configured name (safe to log), or `anonymous` when no keys are configured. */
  name: string;
  role: Role;
  /** Set for role `tenant`: the only tenant this principal may see or spend. */
  tenant?: string;
}

/** Every request when no keys are configured (the service then binds loopback only). */
export const ANONYMOUS_ADMIN: Principal = Object.freeze({ name: 'anonymous', role: 'admin' });

/**
 * What a route needs:
 * - `ingest`: OTLP export (ingest and admin keys);
 * - `use`: check, reserve, commit, record, read — a tenant key only for its own tenant;
 * - `admin`: budgets, prices, overrides, exports of everything.
 */
export type Capability = 'ingest' | 'use' | 'admin';

export function allows(p: Principal, need: Capability): boolean {
  if (p.role === 'admin') return true;
  if (need === 'ingest') return p.role === 'ingest';
  if (need === 'use') return p.role === 'tenant';
  return false;
}

/** The tenant a principal is confined to; undefined means every tenant (admin). */
export function tenantOf(p: Principal): string | undefined {
  return p.role === 'tenant' ? p.tenant : undefined;
}
