import {
  ATTR_ANTHROPIC_USAGE_CACHE_WRITE_1H,
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
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS_OLD,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS_OLD,
  ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_COMPLETION_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS_CACHE_WRITE,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS_CACHED,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS_REASONING,
  ATTR_GEN_AI_USAGE_PROMPT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  ATTR_OPENLIT_USAGE_COST,
  ATTR_TRACELOOP_REQUEST_TYPE,
  ATTR_TRACELOOP_USAGE_TOTAL_TOKENS,
  GEN_AI_OPERATION,
  GEN_AI_SYSTEM_RENAMED,
  TRACELOOP_REQUEST_TYPE_OPERATION,
} from '../semconv.ts';
import { MAX_LABEL_VALUE_LENGTH } from './scope.ts';
import { isConsistentUsage, type TokenUsage } from './token-usage.ts';
import type { UsageRecord } from './usage-record.ts';

/**
 * A GenAI span of any semconv generation → a usage record. Shared by the in-process
 * tracker (spans of other instrumentations in this process) and the OTLP receiver.
 * Returns undefined for spans that are not GenAI operations.
 */
export type SpanAttributes = Readonly<Record<string, unknown>>;

export interface SpanFacts {
  traceId: string;
  spanId: string;
  /** Epoch ms. */
  endTime: number;
  durationMs: number;
  attributes: SpanAttributes;
  /** Set when the span's status is an error. */
  errorType?: string;
}

const INFERENCE = new Set<string>([
  GEN_AI_OPERATION.CHAT,
  GEN_AI_OPERATION.TEXT_COMPLETION,
  GEN_AI_OPERATION.GENERATE_CONTENT,
  GEN_AI_OPERATION.EMBEDDINGS,
]);

/**
 * The first of the values present. The callers read each attribute at its own site
 * (`a[NAME]` with a constant name) rather than through a shared helper taking names: a
 * site that always sees one name is answered from V8's inline cache, a shared one goes
 * megamorphic — this runs for every span the OTLP receiver ingests.
 */
function first(v1: unknown, v2: unknown, v3?: unknown, v4?: unknown): unknown {
  if (v1 !== undefined && v1 !== null) return v1;
  if (v2 !== undefined && v2 !== null) return v2;
  if (v3 !== undefined && v3 !== null) return v3;
  return v4 !== undefined && v4 !== null ? v4 : undefined;
}

function count(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function label(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length === 0) return undefined;
  // Most values are short: no slice call for them.
  return v.length > MAX_LABEL_VALUE_LENGTH ? v.slice(0, MAX_LABEL_VALUE_LENGTH) : v;
}

/** Every attribute a token count is read from, in any generation. */
export const USAGE_COUNT_ATTRIBUTES: readonly string[] = [
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_PROMPT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_COMPLETION_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS_OLD,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS_CACHED,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS_OLD,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS_CACHE_WRITE,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS_REASONING,
  ATTR_TRACELOOP_USAGE_TOTAL_TOKENS,
  ATTR_ANTHROPIC_USAGE_CACHE_WRITE_1H,
];

function notCount(v: unknown): boolean {
  return v !== undefined && v !== null && count(v) === undefined;
}

/**
 * The first token-count attribute present (in USAGE_COUNT_ATTRIBUTES order) whose value is
 * not a count (a span to refuse, not to guess at). Unrolled, one read site per name (see first()).
 */
export function invalidCountAttribute(a: SpanAttributes): string | undefined {
  if (notCount(a[ATTR_GEN_AI_USAGE_INPUT_TOKENS])) return ATTR_GEN_AI_USAGE_INPUT_TOKENS;
  if (notCount(a[ATTR_GEN_AI_USAGE_PROMPT_TOKENS])) return ATTR_GEN_AI_USAGE_PROMPT_TOKENS;
  if (notCount(a[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS])) return ATTR_GEN_AI_USAGE_OUTPUT_TOKENS;
  if (notCount(a[ATTR_GEN_AI_USAGE_COMPLETION_TOKENS])) return ATTR_GEN_AI_USAGE_COMPLETION_TOKENS;
  if (notCount(a[ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]))
    return ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS;
  if (notCount(a[ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS_OLD]))
    return ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS_OLD;
  if (notCount(a[ATTR_GEN_AI_USAGE_INPUT_TOKENS_CACHED])) return ATTR_GEN_AI_USAGE_INPUT_TOKENS_CACHED;
  if (notCount(a[ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]))
    return ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS;
  if (notCount(a[ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS]))
    return ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS;
  if (notCount(a[ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS_OLD]))
    return ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS_OLD;
  if (notCount(a[ATTR_GEN_AI_USAGE_INPUT_TOKENS_CACHE_WRITE]))
    return ATTR_GEN_AI_USAGE_INPUT_TOKENS_CACHE_WRITE;
  if (notCount(a[ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]))
    return ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS;
  if (notCount(a[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS_REASONING]))
    return ATTR_GEN_AI_USAGE_OUTPUT_TOKENS_REASONING;
  if (notCount(a[ATTR_TRACELOOP_USAGE_TOTAL_TOKENS])) return ATTR_TRACELOOP_USAGE_TOTAL_TOKENS;
  if (notCount(a[ATTR_ANTHROPIC_USAGE_CACHE_WRITE_1H])) return ATTR_ANTHROPIC_USAGE_CACHE_WRITE_1H;
  return undefined;
}

/** Token counts under every generation's names; undefined when the span reports none. */
export function usageFromAttributes(a: SpanAttributes): TokenUsage | undefined {
  let input = count(first(a[ATTR_GEN_AI_USAGE_INPUT_TOKENS], a[ATTR_GEN_AI_USAGE_PROMPT_TOKENS]));
  let output = count(first(a[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS], a[ATTR_GEN_AI_USAGE_COMPLETION_TOKENS]));
  // Traceloop's total adds information only when one side is missing: it gives that side.
  if ((input === undefined) !== (output === undefined)) {
    const total = count(a[ATTR_TRACELOOP_USAGE_TOTAL_TOKENS]);
    if (total !== undefined && input === undefined && total >= output!) input = total - output!;
    if (total !== undefined && output === undefined && total >= input!) output = total - input!;
  }
  if (input === undefined && output === undefined) return undefined;
  const usage: TokenUsage = {
    input: input ?? 0,
    output: output ?? 0,
    cacheRead:
      count(
        first(
          a[ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS],
          a[ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS_OLD],
          a[ATTR_GEN_AI_USAGE_INPUT_TOKENS_CACHED],
        ),
      ) ?? 0,
    cacheWrite:
      count(
        first(
          a[ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS],
          a[ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS],
          a[ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS_OLD],
          a[ATTR_GEN_AI_USAGE_INPUT_TOKENS_CACHE_WRITE],
        ),
      ) ?? 0,
    cacheWrite1h: count(a[ATTR_ANTHROPIC_USAGE_CACHE_WRITE_1H]) ?? 0,
    reasoning:
      count(
        first(a[ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS], a[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS_REASONING]),
      ) ?? 0,
  };
  // A span whose cache counts exceed its input follows the old Anthropic convention
  // (input without cache): bring it to semconv's inclusion rule instead of dropping it.
  if (usage.cacheRead + usage.cacheWrite > usage.input) usage.input += usage.cacheRead + usage.cacheWrite;
  if (usage.reasoning > usage.output) usage.output += usage.reasoning;
  if (usage.cacheWrite1h > usage.cacheWrite) usage.cacheWrite1h = 0;
  return isConsistentUsage(usage) ? usage : undefined;
}

/**
 * Cost in nano-USD that an instrumentation computed itself (OpenLIT's gen_ai.usage.cost,
 * USD as a float). Not the provider's own figure: a fallback for models the catalog cannot price.
 */
export function vendorCostNanoUsd(a: SpanAttributes): number | undefined {
  const usd = a[ATTR_OPENLIT_USAGE_COST];
  return typeof usd === 'number' && Number.isFinite(usd) && usd >= 0 ? Math.round(usd * 1e9) : undefined;
}

function providerOf(a: SpanAttributes): string | undefined {
  const provider = label(a[ATTR_GEN_AI_PROVIDER_NAME]);
  if (provider !== undefined) return provider;
  const system = label(a[ATTR_GEN_AI_SYSTEM]);
  return system === undefined ? undefined : (GEN_AI_SYSTEM_RENAMED[system] ?? system);
}

function operationOf(a: SpanAttributes): string | undefined {
  const operation = label(a[ATTR_GEN_AI_OPERATION_NAME]);
  if (operation !== undefined) return operation;
  const type = a[ATTR_TRACELOOP_REQUEST_TYPE];
  return typeof type === 'string' ? TRACELOOP_REQUEST_TYPE_OPERATION[type] : undefined;
}

const SCOPE_PREFIX_FIRST = ATTR_BURSAR_SCOPE_PREFIX.charCodeAt(0);
/** `bursar.scope.<label>` → `<label>` for the names seen (few): no new string per span. */
const scopeNames = new Map<string, string>();
const MAX_SCOPE_NAMES = 1024;

function scopeLabelName(attribute: string): string {
  let name = scopeNames.get(attribute);
  if (name === undefined) {
    name = attribute.slice(ATTR_BURSAR_SCOPE_PREFIX.length);
    if (scopeNames.size < MAX_SCOPE_NAMES) scopeNames.set(attribute, name);
  }
  return name;
}

export function usageRecordFromSpan(span: SpanFacts): UsageRecord | undefined {
  const a = span.attributes;
  const operation = operationOf(a);
  const provider = providerOf(a);
  const isTool = operation === GEN_AI_OPERATION.EXECUTE_TOOL;
  if (!isTool && (operation === undefined ? provider === undefined : !INFERENCE.has(operation)))
    return undefined;
  const usage = usageFromAttributes(a);
  // Without an operation name (generations before v1.27, Traceloop) only token counts say a
  // span is an inference call: a provider's own spans of other API calls (token counting,
  // sessions) carry gen_ai.provider.name too.
  if (operation === undefined && usage === undefined) return undefined;
  const scope: Record<string, string> = {};
  for (const k in a) {
    // The name first (its first character, then the prefix): reading every attribute's
    // value by a varying key costs more.
    if (k.charCodeAt(0) !== SCOPE_PREFIX_FIRST || !k.startsWith(ATTR_BURSAR_SCOPE_PREFIX)) continue;
    const v = a[k];
    if (typeof v === 'string') scope[scopeLabelName(k)] = v;
  }
  const agent = label(a[ATTR_GEN_AI_AGENT_NAME]);
  const session = label(a[ATTR_GEN_AI_CONVERSATION_ID]);
  if (agent && scope.agent === undefined) scope.agent = agent;
  if (session && scope.session === undefined) scope.session = session;
  const responseModel = label(a[ATTR_GEN_AI_RESPONSE_MODEL]);
  const record: UsageRecord = {
    id: `${span.traceId}:${span.spanId}`,
    time: Math.round(span.endTime),
    provider: provider ?? 'unknown',
    operation: operation ?? GEN_AI_OPERATION.CHAT,
    requestModel: label(a[ATTR_GEN_AI_REQUEST_MODEL]) ?? responseModel ?? (isTool ? 'tool' : 'unknown'),
    usage: usage ?? { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0, reasoning: 0 },
    scope,
    durationMs: Math.max(0, span.durationMs),
    usageSource: usage || isTool ? 'provider' : 'missing',
  };
  if (responseModel) record.responseModel = responseModel;
  const tool = label(a[ATTR_GEN_AI_TOOL_NAME]);
  if (tool) record.toolName = tool;
  const errorType = label(a[ATTR_ERROR_TYPE]) ?? span.errorType;
  if (errorType) record.errorType = errorType;
  return record;
}
