import { effectiveModel, type PricedRecord } from '../usage/usage-record.ts';
import type { UsageAggregate, UsageGroupField, UsageQuery } from './store.ts';

/** The value a record has for a group or filter field ('' when it has none). */
export function fieldValue(r: PricedRecord, field: string): string {
  switch (field) {
    case 'provider':
      return r.provider;
    case 'model':
      return effectiveModel(r);
    case 'operation':
      return r.operation;
    case 'tool':
      return r.toolName ?? '';
    default:
      return r.scope[field] ?? '';
  }
}

export function matchesQuery(r: PricedRecord, q: UsageQuery): boolean {
  if (r.time < q.from || r.time >= q.to) return false;
  if (q.filter) for (const [k, v] of Object.entries(q.filter)) if (fieldValue(r, k) !== v) return false;
  return true;
}

export function emptyAggregate(group: Record<string, string>): UsageAggregate {
  return {
    group,
    calls: 0,
    errors: 0,
    missingUsage: 0,
    unpricedCalls: 0,
    input: 0,
    output: 0,
    cacheRead: 0,
    cacheWrite: 0,
    reasoning: 0,
    costNanoUsd: 0,
    durationMs: 0,
  };
}

export function addToAggregate(a: UsageAggregate, r: PricedRecord): void {
  a.calls += 1;
  if (r.errorType) a.errors += 1;
  if (r.usageSource === 'missing') a.missingUsage += 1;
  if (r.cost.unpriced) a.unpricedCalls += 1;
  a.input += r.usage.input;
  a.output += r.usage.output;
  a.cacheRead += r.usage.cacheRead;
  a.cacheWrite += r.usage.cacheWrite;
  a.reasoning += r.usage.reasoning;
  a.costNanoUsd += r.cost.nanoUsd;
  a.durationMs += r.durationMs;
}

/** Group-by over records in memory (the memory store; SQLite does the same in SQL). */
export function aggregateRecords(
  records: Iterable<PricedRecord>,
  q: UsageQuery & { groupBy: readonly UsageGroupField[] },
): UsageAggregate[] {
  const groups = new Map<string, UsageAggregate>();
  for (const r of records) {
    if (!matchesQuery(r, q)) continue;
    const group: Record<string, string> = {};
    for (const f of q.groupBy) group[f] = fieldValue(r, f);
    const key = JSON.stringify(group);
    let agg = groups.get(key);
    if (!agg) {
      agg = emptyAggregate(group);
      groups.set(key, agg);
    }
    addToAggregate(agg, r);
  }
  return [...groups.values()];
}
