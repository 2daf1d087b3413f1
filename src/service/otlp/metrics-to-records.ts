import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { BudgetEngine } from '../../budget/engine.ts';
import {
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  GEN_AI_TOKEN_TYPE,
  GEN_AI_TOKEN_TYPE_LEGACY,
} from '../../semconv.ts';
import { usageRecordFromSpan } from '../../usage/from-span.ts';
import { STANDARD_SCOPE_LABELS } from '../../usage/scope.ts';
import { tokenCount } from '../../usage/token-usage.ts';
import { parseUsageRecord, type UsageRecord, usageRecordSchema } from '../../usage/usage-record.ts';
import { ValidationError } from '../../validation/errors.ts';
import { attributeLimitProblem } from './attribute-limit.ts';
import type { Attributes } from './attributes.ts';
import {
  type DecodedMetrics,
  TEMPORALITY_CUMULATIVE,
  TEMPORALITY_DELTA,
  type TokenUsagePoint,
} from './decoded.ts';
import type { IngestSummary } from './ingest-summary.ts';
import type { Precedence } from './precedence.ts';
import type { ScopeLabeler } from './scope-labels.ts';

/**
 * gen_ai.client.token.usage data points → usage records, for processes that send only
 * metrics. A point's sum is the tokens of one type (gen_ai.token.type input | output) in
 * its series; the input and output points of one series at one time become one record.
 *
 * - Delta points count as they are. Record id: series + start + time, so a retried export
 *   dedupes in the store.
 * - Cumulative points count the difference to the previous point of the same series. The
 *   previous point is a persisted cursor (Store.putCursors, in the same transaction as the
 *   records it accounts for), so a restart neither recounts nor loses anything. A changed
 *   start time or a value below the cursor is a reset (the process restarted): the point's
 *   whole value counts. A point not newer than the cursor is a retry: nothing counts.
 *
 * A series is every resource attribute, the scope, the temporality and every point
 * attribute but the token type. Cursors are not pruned: one per series ever seen.
 * A record stands for all calls of its interval (metrics carry no per-call split), so
 * it counts as one call in reports, and long-context price tiers cannot apply.
 */

const NO_RECORDED_VALUE = 1;
const CURSOR_PREFIX = 'otlp.cumulative\u0000';
const cursorSchema = z.tuple([z.number(), z.number(), z.number()]);
const MAX_ERRORS = 5;
const recordTime = usageRecordSchema.shape.time;

type Verdict = 'accepted' | 'duplicate' | 'rejected' | 'ignored';

interface Counted {
  point: TokenUsagePoint;
  series: string;
  type: 'input' | 'output';
  delta: number;
}

function stable(a: Attributes, skip?: string): string {
  return JSON.stringify(
    Object.keys(a)
      .filter((k) => k !== skip)
      .sort()
      .map((k) => [k, a[k]]),
  );
}

function hash(s: string): string {
  return createHash('sha256').update(s).digest('base64url').slice(0, 22);
}

export class MetricsIngest {
  readonly #engine: BudgetEngine;
  readonly #labeler: ScopeLabeler;
  readonly #precedence: Precedence;
  readonly #allowed: ReadonlySet<string>;
  readonly #maxAttributes: number;
  /** Cursor reads and writes run one request at a time (up to the store call). */
  #lock: Promise<void> = Promise.resolve();
  readonly #resourceIds = new WeakMap<object, string>();

  constructor(
    engine: BudgetEngine,
    labeler: ScopeLabeler,
    precedence: Precedence,
    customLabels: readonly string[],
    maxAttributes = Infinity,
  ) {
    this.#engine = engine;
    this.#labeler = labeler;
    this.#precedence = precedence;
    this.#allowed = new Set([...STANDARD_SCOPE_LABELS, ...customLabels]);
    this.#maxAttributes = maxAttributes;
  }

  async ingest(decoded: DecodedMetrics): Promise<IngestSummary> {
    const previous = this.#lock;
    let release!: () => void;
    this.#lock = new Promise((r) => (release = r));
    await previous;
    let started: { done: Promise<IngestSummary> };
    try {
      started = await this.#start(decoded);
    } finally {
      release();
    }
    return started.done;
  }

  async #start(decoded: DecodedMetrics): Promise<{ done: Promise<IngestSummary> }> {
    const points = decoded.points;
    const verdicts: Verdict[] = new Array(points.length).fill('ignored');
    const summary: IngestSummary = { accepted: 0, duplicate: 0, rejected: 0, ignored: 0, errors: [] };
    const reject = (i: number, reason: string) => {
      verdicts[i] = 'rejected';
      if (summary.errors.length < MAX_ERRORS) summary.errors.push(`data point ${i}: ${reason}`);
    };
    const processes = points.map((p) => this.#labeler.resource(p.resource).process);
    const suppressed = await this.#precedence.suppressed('metrics', new Set(processes));

    const valid: number[] = [];
    points.forEach((p, i) => {
      if (suppressed.has(processes[i]!) || (p.flags & NO_RECORDED_VALUE) !== 0) return;
      const problem = this.#problem(p);
      if (problem !== undefined) reject(i, problem);
      else valid.push(i);
    });

    // Cumulative cursors, read once per request, advanced in time order.
    const cumulative = valid.filter((i) => points[i]!.temporality === TEMPORALITY_CUMULATIVE);
    const keyOf = (i: number) => CURSOR_PREFIX + this.#tokenSeries(points[i]!);
    const keys = [...new Set(cumulative.map(keyOf))];
    const stored = await this.#engine.store.getCursors(keys);
    const cursors = new Map<string, [number, number, number]>();
    keys.forEach((k, j) => {
      const parsed = stored[j] === undefined ? undefined : cursorSchema.safeParse(safeJson(stored[j]!));
      if (parsed?.success) cursors.set(k, parsed.data);
    });
    const moved = new Set<string>();
    const counted: (Counted & { index: number })[] = [];
    const order = [...valid].sort((x, y) => points[x]!.timeNs - points[y]!.timeNs);
    for (const i of order) {
      const p = points[i]!;
      const sum = p.sum!;
      let delta = sum;
      if (p.temporality === TEMPORALITY_CUMULATIVE) {
        const key = keyOf(i);
        const c = cursors.get(key);
        // Not newer than the last point counted: a retry, or a late point of an earlier run.
        if (c && p.timeNs <= c[1]) {
          verdicts[i] = 'duplicate';
          continue;
        }
        if (c && c[0] === p.startNs && sum >= c[2]) delta = sum - c[2];
        cursors.set(key, [p.startNs, p.timeNs, sum]);
        moved.add(key);
      }
      verdicts[i] = 'accepted';
      counted.push({ index: i, point: p, series: this.#series(p), type: tokenType(p)!, delta });
    }

    // One record per series and time: input and output together.
    const groups = new Map<string, (Counted & { index: number })[]>();
    for (const c of counted) {
      if (c.delta === 0) continue;
      const id = `otlp-metric:${c.series}:${c.point.startNs}:${c.point.timeNs}`;
      const g = groups.get(id);
      if (g) g.push(c);
      else groups.set(id, [c]);
    }
    const records: UsageRecord[] = [];
    const recordPoints: number[][] = [];
    for (const [id, group] of groups) {
      try {
        const record = this.#record(id, group);
        if (record === undefined) {
          for (const c of group) verdicts[c.index] = 'ignored';
          continue;
        }
        records.push(record);
        recordPoints.push(group.map((c) => c.index));
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
        for (const c of group) reject(c.index, e.message);
      }
    }

    const markers = this.#precedence.markers(
      'metrics',
      new Set(counted.filter((c) => verdicts[c.index] === 'accepted').map((c) => processes[c.index]!)),
    );
    const entries: [string, string][] = [...moved].map((k) => [k, JSON.stringify(cursors.get(k))]);
    entries.push(...markers.entries);
    const priced = records.map((r) => this.#engine.price(r));
    // Same synchronous turn: the cursors join the records' transaction.
    const put = entries.length > 0 ? this.#engine.store.putCursors(entries) : undefined;
    const recorded = priced.length > 0 ? this.#engine.recordPriced(priced) : Promise.resolve([]);
    const done = Promise.all([recorded, put]).then(([results]) => {
      results.forEach((r, j) => {
        if (r.duplicate) for (const i of recordPoints[j]!) verdicts[i] = 'duplicate';
      });
      markers.committed();
      for (const v of verdicts) summary[v]++;
      summary.ignored += decoded.total - points.length;
      return summary;
    });
    return { done };
  }

  /** Why a point cannot be counted, or undefined. */
  #problem(p: TokenUsagePoint): string | undefined {
    const over = attributeLimitProblem(p, this.#maxAttributes);
    if (over !== undefined) return over;
    if (p.temporality !== TEMPORALITY_DELTA && p.temporality !== TEMPORALITY_CUMULATIVE)
      return `aggregation_temporality ${p.temporality} is neither delta (1) nor cumulative (2)`;
    if (tokenType(p) === undefined)
      return `${ATTR_GEN_AI_TOKEN_TYPE} ${JSON.stringify(p.attributes[ATTR_GEN_AI_TOKEN_TYPE])} is not input or output`;
    if (p.sum === undefined) return 'the point has no sum';
    const sum = tokenCount.safeParse(p.sum);
    if (!sum.success) return `sum: ${sum.error.issues[0]?.message ?? 'not a token count'}`;
    const time = recordTime.safeParse(Math.round(p.timeNs / 1e6));
    if (!time.success) return `time_unix_nano: ${time.error.issues[0]?.message ?? 'out of range'}`;
    return undefined;
  }

  /** The series without the token type (one record per series and time). */
  #series(p: TokenUsagePoint): string {
    let resource = this.#resourceIds.get(p.resource);
    if (resource === undefined) {
      resource = stable(p.resource.attributes);
      this.#resourceIds.set(p.resource, resource);
    }
    return hash(`${resource}\n${p.scope}\n${p.temporality}\n${stable(p.attributes, ATTR_GEN_AI_TOKEN_TYPE)}`);
  }

  #tokenSeries(p: TokenUsagePoint): string {
    return `${this.#series(p)}:${tokenType(p)}`;
  }

  #record(id: string, group: Counted[]): UsageRecord | undefined {
    const p = group[0]!.point;
    const attributes: Attributes = { ...p.attributes };
    delete attributes[ATTR_GEN_AI_TOKEN_TYPE];
    let input = 0;
    let output = 0;
    for (const c of group) {
      if (c.type === 'input') input += c.delta;
      else output += c.delta;
    }
    attributes[ATTR_GEN_AI_USAGE_INPUT_TOKENS] = input;
    attributes[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = output;
    // Metric points carry the span attributes' names: the span reader gives provider,
    // operation, models, error type and bursar.scope.* labels (and skips non-inference operations).
    const raw = usageRecordFromSpan({
      traceId: '',
      spanId: '',
      endTime: p.timeNs / 1e6,
      durationMs: 0,
      attributes,
    });
    if (!raw) return undefined;
    raw.id = id;
    const scope = this.#labeler.scope(p.resource, p.attributes, raw.scope);
    raw.scope = Object.fromEntries(Object.entries(scope).filter(([k]) => this.#allowed.has(k)));
    return parseUsageRecord(raw, 'data point');
  }
}

function tokenType(p: TokenUsagePoint): 'input' | 'output' | undefined {
  const t = p.attributes[ATTR_GEN_AI_TOKEN_TYPE];
  if (t === GEN_AI_TOKEN_TYPE.INPUT || t === GEN_AI_TOKEN_TYPE.OUTPUT) return t;
  return typeof t === 'string' ? GEN_AI_TOKEN_TYPE_LEGACY[t] : undefined;
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
