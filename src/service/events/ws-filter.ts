import { z } from 'zod';
import type { BudgetSpec } from '../../budget/budget-spec.ts';
import { labelName, labelValue, STANDARD_SCOPE_LABELS } from '../../usage/scope.ts';
import { type Principal, tenantOf } from '../auth/principal.ts';

/**
 * Who sees which events. A subscriber's filter is a set of scope labels (`?tenant=a&agent=x`);
 * a tenant key's filter always holds its own tenant. An event passes when:
 * - it carries a scope (usage, an expired reservation): every filter label equals the scope's;
 * - it concerns a budget (status, thresholds, overrides, denials): every filter label is
 *   pinned by the budget — its selector names that literal value, or the budget is grouped
 *   by the label and the event's group has that value. A budget over everyone's usage
 *   (no such pin) is not shown to a filtered subscriber: it would reveal other tenants'
 *   spend. This is the rule the REST API applies to tenant keys.
 */
export type ScopeFilter = Readonly<Record<string, string>>;

/** Query parameters that are not filters. */
const ACCESS_TOKEN = 'access_token';

export type FilterResult =
  | { ok: true; filter: ScopeFilter; accessToken?: string }
  | { ok: false; status: 400 | 403; code: string; message: string; field?: string };

const filterSchema = z.record(labelName, labelValue);

/** Reads the filter (and a browser's `access_token`) from a query string, validated. */
export function parseQuery(params: URLSearchParams, customLabels: readonly string[]): FilterResult {
  const allowed = new Set<string>([...STANDARD_SCOPE_LABELS, ...customLabels]);
  const raw: Record<string, string> = {};
  let accessToken: string | undefined;
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name);
    if (values.length > 1)
      return { ok: false, status: 400, code: 'bad_filter', message: `give ${name} once`, field: name };
    if (name === ACCESS_TOKEN) {
      accessToken = values[0]!;
      continue;
    }
    if (!allowed.has(name)) {
      return {
        ok: false,
        status: 400,
        code: 'bad_filter',
        message: `unknown filter ${JSON.stringify(name)}: filter by scope labels (${[...allowed].join(', ')})`,
        field: name,
      };
    }
    raw[name] = values[0]!;
  }
  const parsed = filterSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0] ?? '');
    return { ok: false, status: 400, code: 'bad_filter', message: `${field}: ${issue.message}`, field };
  }
  return accessToken === undefined
    ? { ok: true, filter: parsed.data }
    : { ok: true, filter: parsed.data, accessToken };
}

/** The filter a principal actually gets: a tenant key is confined to its own tenant. */
export function confineFilter(p: Principal, filter: ScopeFilter): FilterResult {
  if (p.role === 'ingest')
    return {
      ok: false,
      status: 403,
      code: 'forbidden',
      message: `key ${p.name} (ingest) may only send OTLP data`,
    };
  const tenant = tenantOf(p);
  if (tenant === undefined) return { ok: true, filter };
  if (filter.tenant !== undefined && filter.tenant !== tenant) {
    return {
      ok: false,
      status: 403,
      code: 'forbidden',
      message: `key ${p.name} sees tenant ${tenant} only`,
      field: 'tenant',
    };
  }
  return { ok: true, filter: { ...filter, tenant } };
}

/** A stable key for subscribers with the same filter (they share one serialized message). */
export function filterKey(filter: ScopeFilter): string {
  return Object.keys(filter)
    .sort()
    .map((k) => `${k}=${filter[k]}`)
    .join('&');
}

function isEmpty(filter: ScopeFilter): boolean {
  for (const _ in filter) return false;
  return true;
}

export function scopeMatches(filter: ScopeFilter, scope: Readonly<Record<string, string>>): boolean {
  for (const k in filter) if (scope[k] !== filter[k]) return false;
  return true;
}

/** The label values of a counter's group string (groupBy values joined by U+0001). */
export function groupValues(spec: BudgetSpec, group: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (spec.groupBy.length === 0) return out;
  const values = spec.groupBy.length === 1 ? [group] : group.split('\u0001');
  spec.groupBy.forEach((name, i) => (out[name] = values[i] ?? ''));
  return out;
}

/**
 * Whether an event about `spec` (and one of its groups, when known) belongs to a filtered
 * subscriber. No filter: everything. Unknown budget: nothing.
 */
export function budgetConcerns(filter: ScopeFilter, spec: BudgetSpec | undefined, group?: string): boolean {
  if (isEmpty(filter)) return true;
  if (!spec) return false;
  const groups = group === undefined ? undefined : groupValues(spec, group);
  for (const k in filter) {
    const want = filter[k];
    if (spec.selector[k] === want) continue;
    if (groups !== undefined && spec.groupBy.includes(k) && groups[k] === want) continue;
    return false;
  }
  return true;
}

/** What an event is about, for filtering: a scope, or budgets (with their groups when known). */
export type Subject =
  | { kind: 'scope'; scope: Readonly<Record<string, string>> }
  | { kind: 'budgets'; budgets: { budgetId: string; group?: string }[] };

/** Whether a subscriber with `filter` may see an event about `subject`. */
export function subjectVisible(
  filter: ScopeFilter,
  subject: Subject,
  specOf: (budgetId: string) => BudgetSpec | undefined,
): boolean {
  if (subject.kind === 'scope') return scopeMatches(filter, subject.scope);
  if (isEmpty(filter)) return true;
  return subject.budgets.some((b) => budgetConcerns(filter, specOf(b.budgetId), b.group));
}
