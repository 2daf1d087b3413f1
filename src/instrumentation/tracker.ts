import { EventEmitter } from 'node:events';
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { Pricer } from '../budget/engine.ts';
import { formatUsd } from '../pricing/price.ts';
import { ATTR_BURSAR_USAGE_SOURCE } from '../semconv.ts';
import { usageRecordFromSpan } from '../usage/from-span.ts';
import { addToAggregate, emptyAggregate } from '../store/usage-aggregate.ts';
import type { UsageAggregate } from '../store/store.ts';
import type { PricedRecord } from '../usage/usage-record.ts';
import type { GenAiTelemetry } from './telemetry.ts';

export interface TrackerOptions {
  /** A spend budget for this process; warnings at each threshold. */
  budgetUsd?: number;
  thresholds?: readonly number[];
  /** Prices spans from other instrumentations. */
  pricer: Pricer;
  /** Where warning lines go (default console.warn); null for none. */
  log?: ((line: string) => void) | null;
}

type Totals = UsageAggregate;
const zero = (): Totals => emptyAggregate({});
const add = addToAggregate;

/**
 * The in-process tracker: totals, breakdowns by agent and model, a spend budget with
 * threshold warnings, a readable report and a JSON export of the full history. Fed
 * by bursar's own telemetry and, as a SpanProcessor, by GenAI spans of any other
 * instrumentation in the process (spans bursar made itself are skipped there, so
 * nothing counts twice).
 */
export class UsageTracker extends EventEmitter<{
  threshold: [{ threshold: number; spentUsd: number; budgetUsd: number }];
}> {
  readonly history: PricedRecord[] = [];
  readonly totals = zero();
  readonly byAgent = new Map<string, Totals>();
  readonly byModel = new Map<string, Totals>();
  readonly startedAt = Date.now();
  readonly #opts: TrackerOptions;
  readonly #crossed = new Set<number>();
  readonly #seen = new Set<string>();

  constructor(opts: TrackerOptions) {
    super();
    this.#opts = opts;
  }

  /** Subscribes to a telemetry's usage records. */
  attach(t: GenAiTelemetry): () => void {
    return t.onRecord((r) => this.add(r));
  }

  add(r: PricedRecord): void {
    if (this.#seen.has(r.id)) return;
    this.#seen.add(r.id);
    this.history.push(r);
    add(this.totals, r);
    const agent = r.scope.agent ?? '(none)';
    const model = r.responseModel ?? r.requestModel;
    if (!this.byAgent.has(agent)) this.byAgent.set(agent, zero());
    if (!this.byModel.has(model)) this.byModel.set(model, zero());
    add(this.byAgent.get(agent)!, r);
    add(this.byModel.get(model)!, r);
    this.#checkBudget();
  }

  #checkBudget(): void {
    const budget = this.#opts.budgetUsd;
    if (budget === undefined || budget <= 0) return;
    const spentUsd = this.totals.costNanoUsd / 1e9;
    for (const threshold of this.#opts.thresholds ?? [0.5, 0.75, 0.9, 1]) {
      if (spentUsd / budget < threshold || this.#crossed.has(threshold)) continue;
      this.#crossed.add(threshold);
      this.emit('threshold', { threshold, spentUsd, budgetUsd: budget });
      const log = this.#opts.log === undefined ? (l: string) => console.warn(l) : this.#opts.log;
      log?.(
        `bursar: ${Math.round(threshold * 100)}% of the $${budget} budget used (${formatUsd(this.totals.costNanoUsd)} spent)`,
      );
    }
  }

  /** A SpanProcessor for the process's tracer provider: counts GenAI spans bursar did not make. */
  spanProcessor(): SpanProcessor {
    return {
      onStart: (_span: Span, _ctx: Context) => {},
      onEnd: (span: ReadableSpan) => {
        if (span.attributes[ATTR_BURSAR_USAGE_SOURCE] !== undefined) return;
        const ctx = span.spanContext();
        const [s, ns] = span.endTime;
        const [ds, dns] = span.duration;
        const record = usageRecordFromSpan({
          traceId: ctx.traceId,
          spanId: ctx.spanId,
          endTime: s * 1000 + ns / 1e6,
          durationMs: ds * 1000 + dns / 1e6,
          attributes: span.attributes,
          ...(span.status.code === 2 ? { errorType: '_OTHER' } : {}),
        });
        if (record) this.add({ ...record, cost: this.#opts.pricer.price(record) });
      },
      forceFlush: async () => {},
      shutdown: async () => {},
    };
  }

  stats() {
    const perCall = (n: number) => (this.totals.calls ? n / this.totals.calls : 0);
    return {
      calls: this.totals.calls,
      errors: this.totals.errors,
      tokens: {
        input: this.totals.input,
        output: this.totals.output,
        cacheRead: this.totals.cacheRead,
        cacheWrite: this.totals.cacheWrite,
        reasoning: this.totals.reasoning,
        total: this.totals.input + this.totals.output,
      },
      costUsd: this.totals.costNanoUsd / 1e9,
      costNanoUsd: this.totals.costNanoUsd,
      unpricedCalls: this.totals.unpricedCalls,
      averages: {
        costUsd: perCall(this.totals.costNanoUsd) / 1e9,
        inputTokens: perCall(this.totals.input),
        outputTokens: perCall(this.totals.output),
      },
      byAgent: Object.fromEntries(this.byAgent),
      byModel: Object.fromEntries(this.byModel),
      sessionDurationMs: Date.now() - this.startedAt,
      budgetUsd: this.#opts.budgetUsd,
    };
  }

  /** A human-readable cost report. */
  report(): string {
    const s = this.stats();
    const lines = [
      `bursar usage report (${Math.round(s.sessionDurationMs / 1000)} s)`,
      `  calls ${s.calls} (${s.errors} failed, ${s.unpricedCalls} unpriced)`,
      `  tokens in ${s.tokens.input} (cache read ${s.tokens.cacheRead}, cache write ${s.tokens.cacheWrite}), out ${s.tokens.output} (reasoning ${s.tokens.reasoning})`,
      `  cost ${formatUsd(s.costNanoUsd)}${s.budgetUsd !== undefined ? ` of $${s.budgetUsd}` : ''}, ${formatUsd(Math.round(s.averages.costUsd * 1e9))} per call`,
    ];
    for (const [title, map] of [
      ['by agent', this.byAgent],
      ['by model', this.byModel],
    ] as const) {
      lines.push(`  ${title}:`);
      for (const [name, t] of [...map].sort((a, b) => b[1].costNanoUsd - a[1].costNanoUsd)) {
        lines.push(
          `    ${name.padEnd(28)} ${String(t.calls).padStart(6)} calls ${String(t.input + t.output).padStart(10)} tokens ${formatUsd(t.costNanoUsd).padStart(14)}`,
        );
      }
    }
    return lines.join('\n');
  }

  /** Everything, including the full usage history. */
  toJSON() {
    return { stats: this.stats(), history: this.history };
  }
}
