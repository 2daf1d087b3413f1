import { z } from 'zod';
import {
  ATTR_BURSAR_SCOPE_PREFIX,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_SYSTEM,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_OPENLIT_USAGE_COST,
  ATTR_TRACELOOP_REQUEST_TYPE,
  GEN_AI_OPERATION,
} from '../../semconv.ts';
import {
  invalidCountAttribute,
  type SpanFacts,
  USAGE_COUNT_ATTRIBUTES,
  usageRecordFromSpan,
  vendorCostNanoUsd,
} from '../../usage/from-span.ts';
import { LABEL_NAME_PATTERN, MAX_LABEL_VALUE_LENGTH, STANDARD_SCOPE_LABELS } from '../../usage/scope.ts';
import { tokenCount } from '../../usage/token-usage.ts';
import type { UsageRecord } from '../../usage/usage-record.ts';
import { ValidationError } from '../../validation/errors.ts';
import { fastSchema } from '../../validation/fast-schema.ts';
import { attributeLimitProblem } from './attribute-limit.ts';
import { type Attributes, KeyFilter } from './attributes.ts';
import type { DecodedSpan, DecodedTraces, DecodeOptions } from './decoded.ts';
import type { CountableSpan } from './nested-calls.ts';
import type { ScopeLabeler } from './scope-labels.ts';
import { checkedSpanRecord } from './span-record-check.ts';

/**
 * Decoded GenAI spans → validated usage records (via usageRecordFromSpan, which reads every
 * semconv generation). Spans that are not inference or execute_tool operations are
 * ignored; spans whose ids, times or token counts are unusable are rejected, each with a
 * reason for the partial-success message.
 */

/** The span attributes the decoders keep: what usageRecordFromSpan and the labels read. */
export function spanDecodeOptions(labeler: ScopeLabeler): DecodeOptions {
  const spanKeys = new KeyFilter(
    [
      ATTR_GEN_AI_OPERATION_NAME,
      ATTR_GEN_AI_PROVIDER_NAME,
      ATTR_GEN_AI_SYSTEM,
      ATTR_GEN_AI_REQUEST_MODEL,
      ATTR_GEN_AI_RESPONSE_MODEL,
      ATTR_GEN_AI_AGENT_NAME,
      ATTR_GEN_AI_CONVERSATION_ID,
      ATTR_GEN_AI_TOOL_NAME,
      ATTR_ERROR_TYPE,
      ATTR_OPENLIT_USAGE_COST,
      ATTR_TRACELOOP_REQUEST_TYPE,
      ...USAGE_COUNT_ATTRIBUTES,
      ...labeler.spanAttributes(),
    ],
    [ATTR_BURSAR_SCOPE_PREFIX],
  );
  return {
    spanKeys,
    resourceKeys: new KeyFilter(labeler.resourceAttributes()),
    isCandidate: (a: Attributes) =>
      a[ATTR_GEN_AI_OPERATION_NAME] !== undefined ||
      a[ATTR_GEN_AI_PROVIDER_NAME] !== undefined ||
      a[ATTR_GEN_AI_SYSTEM] !== undefined,
  };
}

const spanIdentity = fastSchema(
  z.object({
    traceId: z.string().regex(/^(?!0{32})[0-9a-f]{32}$/, 'trace_id must be 16 bytes, not all zero'),
    spanId: z.string().regex(/^(?!0{16})[0-9a-f]{16}$/, 'span_id must be 8 bytes, not all zero'),
    parentSpanId: z.string().regex(/^(?:[0-9a-f]{16})?$/, 'parent_span_id must be empty or 8 bytes'),
  }),
  'span',
);

const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

export interface SpanRecord extends CountableSpan {
  record: UsageRecord;
  /** service.instance.id, else service.name ('' when unknown). */
  process: string;
  /** OpenLIT's own cost figure, a fallback price. */
  vendorCostNanoUsd: number | undefined;
}

export interface SpansPlan {
  items: SpanRecord[];
  ignored: number;
  rejected: number;
  /** The first few rejection reasons. */
  errors: string[];
}

const MAX_ERRORS = 5;
const NO_ATTRIBUTES: Attributes = Object.freeze({});

/** Keeps the labels the engine accepts, with usable values (bad extras are dropped, not fatal). */
function keptScope(scope: Record<string, string>, allowed: ReadonlySet<string>): Record<string, string> {
  // Usually every label is allowed and usable: then the scope is kept as it is.
  let clean = true;
  for (const k in scope) {
    const v = scope[k]!;
    if (!allowed.has(k) || v.length === 0 || v.length > MAX_LABEL_VALUE_LENGTH) {
      clean = false;
      break;
    }
  }
  if (clean) return scope;
  const out: Record<string, string> = {};
  for (const k in scope) {
    const v = scope[k]!;
    if (allowed.has(k) && v.length > 0) out[k] = v.slice(0, MAX_LABEL_VALUE_LENGTH);
  }
  return out;
}

export class SpanRecords {
  readonly #labeler: ScopeLabeler;
  readonly #allowed: ReadonlySet<string>;
  readonly #maxAttributes: number;
  /** Every allowed label name is well formed: keptScope's output then needs no check of its own. */
  readonly #allowedWellFormed: boolean;
  readonly #facts: SpanFacts = {
    traceId: '',
    spanId: '',
    endTime: 0,
    durationMs: 0,
    attributes: NO_ATTRIBUTES,
    errorType: undefined,
  };

  constructor(labeler: ScopeLabeler, customLabels: readonly string[], maxAttributes = Infinity) {
    this.#labeler = labeler;
    this.#allowed = new Set([...STANDARD_SCOPE_LABELS, ...customLabels]);
    this.#allowedWellFormed = [...this.#allowed].every((k) => LABEL_NAME_PATTERN.test(k));
    this.#maxAttributes = maxAttributes;
  }

  plan(decoded: DecodedTraces): SpansPlan {
    const plan: SpansPlan = {
      items: [],
      ignored: decoded.total - decoded.spans.length,
      rejected: 0,
      errors: [],
    };
    for (const span of decoded.spans) {
      const over = attributeLimitProblem(span, this.#maxAttributes);
      if (over !== undefined) {
        plan.rejected++;
        if (plan.errors.length < MAX_ERRORS)
          plan.errors.push(`span ${span.spanId || '(no span_id)'}: ${over}`);
        continue;
      }
      try {
        const item = this.#item(span);
        if (item) plan.items.push(item);
        else plan.ignored++;
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
        plan.rejected++;
        if (plan.errors.length < MAX_ERRORS)
          plan.errors.push(`span ${span.spanId || '(no span_id)'}: ${e.message}`);
      }
    }
    return plan;
  }

  #item(span: DecodedSpan): SpanRecord | undefined {
    const a = span.attributes;
    // One facts object, refilled per span (usageRecordFromSpan keeps nothing of it).
    const facts = this.#facts;
    facts.traceId = span.traceId;
    facts.spanId = span.spanId;
    facts.endTime = span.endNs / 1e6;
    facts.durationMs = (span.endNs - span.startNs) / 1e6;
    facts.attributes = a;
    facts.errorType = span.statusCode === 2 ? '_OTHER' : undefined;
    const raw = usageRecordFromSpan(facts);
    facts.attributes = NO_ATTRIBUTES;
    if (!raw) return undefined;
    // Ids are hex already (the wire walk makes them, the JSON schema checks them): the usual
    // span needs only its lengths and a non-zero id looked at; the schema explains the rest.
    if (
      span.traceId.length !== 32 ||
      span.spanId.length !== 16 ||
      (span.parentSpanId.length !== 0 && span.parentSpanId.length !== 16) ||
      span.traceId === ZERO_TRACE_ID ||
      span.spanId === ZERO_SPAN_ID
    )
      spanIdentity.parse(span);
    const bad = invalidCountAttribute(a);
    if (bad !== undefined) {
      const r = tokenCount.safeParse(a[bad]);
      throw new ValidationError(
        bad,
        r.error?.issues[0]?.message ?? 'must be a non-negative whole number of tokens',
      );
    }
    const resource = this.#labeler.resource(span.resource);
    raw.scope = keptScope(this.#labeler.scopeOf(resource, a, raw.scope), this.#allowed);
    const record = checkedSpanRecord(raw, this.#allowedWellFormed);
    return {
      record,
      traceId: span.traceId,
      spanId: span.spanId,
      parentSpanId: span.parentSpanId,
      key: record.id,
      tool: record.operation === GEN_AI_OPERATION.EXECUTE_TOOL,
      process: resource.process,
      vendorCostNanoUsd: vendorCostNanoUsd(a),
    };
  }
}
