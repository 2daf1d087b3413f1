import type { IncomingMessage } from 'node:http';
import type { BudgetSpec } from '../../budget/budget-spec.ts';
import type { Reservation } from '../../store/store.ts';
import type { Scope } from '../../usage/scope.ts';
import type { KeyRing } from '../auth/key-ring.ts';
import { allows, type Principal, tenantOf } from '../auth/principal.ts';
import { ApiError, forbidden } from './errors.ts';

/**
 * The REST API's whole access policy, in one place:
 * - `public` routes (/healthz, /readyz, /openapi.json) need no key;
 * - `use` routes (check, reserve, commit, release, record, reads) take admin and tenant
 *   keys; a tenant key acts only for its own tenant: a request's scope.tenant must be
 *   absent (it is then set) or equal, and reads are narrowed to what belongs to it;
 * - `admin` routes (budget, price and override writes) take admin keys only;
 * - ingest keys are for OTLP and get 403 on every route here.
 */
export type Access = 'public' | 'use' | 'admin';

/** Stands for the caller on public routes: the least privilege there is. */
export const PUBLIC: Principal = Object.freeze({ name: 'public', role: 'ingest' });

/** Authenticates (401) and authorizes (403) a request for a route's access level. */
export function authorize(keys: KeyRing, req: IncomingMessage, access: Access): Principal {
  if (access === 'public') return PUBLIC;
  const auth = keys.authenticate(req.headers.authorization);
  if (!auth.ok)
    throw new ApiError(401, 'unauthorized', auth.message, { headers: { 'www-authenticate': 'Bearer' } });
  const p = auth.principal;
  if (!allows(p, access))
    throw forbidden(
      access === 'admin'
        ? `key ${p.name} (${p.role}) may not change budgets, prices or overrides: admin keys only`
        : `key ${p.name} (${p.role}) may only send OTLP data`,
    );
  return p;
}

/**
 * The scope a tenant key acts in: its own tenant filled in when absent, refused when
 * another tenant is named. Admin keys act in any scope as given.
 */
export function confineScope(p: Principal, scope: Scope, field = 'scope.tenant'): Scope {
  const tenant = tenantOf(p);
  if (tenant === undefined) return scope;
  const named = scope.tenant;
  if (named === undefined) return { ...scope, tenant };
  if (named !== tenant) throw forbidden(`key ${p.name} acts for tenant ${tenant} only`, field);
  return scope;
}

/** A reservation another tenant made does not exist as far as this key can tell. */
export function canSeeReservation(p: Principal, r: Reservation): boolean {
  const tenant = tenantOf(p);
  return tenant === undefined || r.request.scope.tenant === tenant;
}

/**
 * How much of a budget a key may see: all of it (admin, or a budget pinned to the
 * key's tenant by its selector), only its own group row (a budget grouped by tenant),
 * or nothing.
 */
export type BudgetVisibility = 'all' | 'own-group' | 'none';

export function budgetVisibility(p: Principal, spec: BudgetSpec): BudgetVisibility {
  const tenant = tenantOf(p);
  if (tenant === undefined || spec.selector.tenant === tenant) return 'all';
  if (spec.groupBy.includes('tenant')) return 'own-group';
  return 'none';
}

/** The label values of a counter's group string (groupBy values joined by U+0001). */
export function groupLabels(spec: BudgetSpec, group: string): Record<string, string> {
  if (spec.groupBy.length === 0) return {};
  const values = spec.groupBy.length === 1 ? [group] : group.split('\u0001');
  return Object.fromEntries(spec.groupBy.map((name, i) => [name, values[i] ?? '']));
}

/** Whether a key may see one group row of a budget. */
export function canSeeGroup(p: Principal, spec: BudgetSpec, group: string): boolean {
  const v = budgetVisibility(p, spec);
  if (v === 'all') return true;
  if (v === 'none') return false;
  return groupLabels(spec, group).tenant === tenantOf(p);
}

/**
 * Filters for usage reads: a tenant key always reads its own tenant, and naming another
 * is refused rather than silently answered with someone else's empty result.
 */
export function confineFilter(
  p: Principal,
  filter: Record<string, string>,
  field = 'tenant',
): Record<string, string> {
  const tenant = tenantOf(p);
  if (tenant === undefined) return filter;
  if (filter.tenant !== undefined && filter.tenant !== tenant)
    throw forbidden(`key ${p.name} reads tenant ${tenant} only`, field);
  return { ...filter, tenant };
}

/**
 * Which budget rows (a budget and a group) a key may be shown in decisions and
 * reservations; undefined when it may see them all.
 */
export function budgetFilter(
  p: Principal,
  specOf: (id: string) => BudgetSpec | undefined,
): ((b: { budgetId: string; group: string }) => boolean) | undefined {
  if (tenantOf(p) === undefined) return undefined;
  return (b) => {
    const spec = specOf(b.budgetId);
    return spec !== undefined && canSeeGroup(p, spec, b.group);
  };
}
