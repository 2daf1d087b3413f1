import type { BudgetEngine } from '../../budget/engine.ts';
import type { PricedRecord } from '../../usage/usage-record.ts';
import type { DecodedTraces } from './decoded.ts';
import type { IngestSummary } from './ingest-summary.ts';
import { NestedCalls } from './nested-calls.ts';
import type { Precedence } from './precedence.ts';
import type { SpanRecord, SpanRecords } from './spans-to-records.ts';

/**
 * Decoded spans → records in the engine. Resolves only once the records are durably
 * committed (engine.recordPriced resolves after the store's transaction); rejects when
 * the store fails, and then nothing of this request is remembered as counted.
 *
 * Idempotence: a record's id is `${traceId}:${spanId}` (usageRecordFromSpan), the same id
 * bursar's instrumentation gives the call in process, and the store dedupes by record id
 * against its persisted usage ledger. The window is the ledger itself: records are kept
 * (not pruned), so an exporter's retry is recognised however late it comes, across restarts.
 */
export class TracesIngest {
  readonly #engine: BudgetEngine;
  readonly #records: SpanRecords;
  readonly #precedence: Precedence;
  readonly #nested = new NestedCalls();

  constructor(engine: BudgetEngine, records: SpanRecords, precedence: Precedence) {
    this.#engine = engine;
    this.#records = records;
    this.#precedence = precedence;
  }

  async ingest(decoded: DecodedTraces): Promise<IngestSummary> {
    const plan = this.#records.plan(decoded);
    const summary: IngestSummary = {
      accepted: 0,
      duplicate: 0,
      rejected: plan.rejected,
      ignored: plan.ignored,
      errors: plan.errors,
    };
    const verdict = this.#nested.classify(plan.items);
    let kept: SpanRecord[] = [];
    for (let i = 0; i < plan.items.length; i++) {
      if (verdict.nested[i]) summary.duplicate++;
      else kept.push(plan.items[i]!);
    }
    const inferenceProcesses = new Set<string>();
    for (const item of kept) if (!item.tool) inferenceProcesses.add(item.process);
    const suppressed = await this.#precedence.suppressed('spans', inferenceProcesses);
    if (suppressed.size > 0) {
      const before = kept.length;
      kept = kept.filter((item) => item.tool || !suppressed.has(item.process));
      summary.ignored += before - kept.length;
      for (const p of suppressed) inferenceProcesses.delete(p);
    }
    const markers = this.#precedence.markers('spans', inferenceProcesses);
    if (kept.length === 0 && markers.entries.length === 0) {
      verdict.remember();
      return summary;
    }
    const priced = kept.map((item) => this.#price(item));
    // Same synchronous turn: the markers join the records' transaction.
    const marked = markers.entries.length > 0 ? this.#engine.store.putCursors(markers.entries) : undefined;
    const recorded = this.#engine.recordPriced(priced);
    const [results] = await Promise.all([recorded, marked]);
    for (const r of results) {
      if (r.duplicate) summary.duplicate++;
      else summary.accepted++;
    }
    verdict.remember();
    markers.committed();
    return summary;
  }

  /** Priced by the catalog; OpenLIT's own figure only for a model the catalog cannot price. */
  #price(item: SpanRecord): PricedRecord {
    const priced = this.#engine.price(item.record);
    if (!priced.cost.unpriced || item.vendorCostNanoUsd === undefined) return priced;
    return this.#engine.price({ ...item.record, providerCostNanoUsd: item.vendorCostNanoUsd });
  }
}
