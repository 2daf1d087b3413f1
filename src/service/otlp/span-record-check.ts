import { LABEL_NAME_PATTERN, MAX_LABEL_VALUE_LENGTH } from '../../usage/scope.ts';
import { MAX_TOKENS_PER_CALL, type TokenUsage } from '../../usage/token-usage.ts';
import {
  MAX_DURATION_MS,
  MAX_TIME,
  MIN_TIME,
  parseUsageRecord,
  type UsageRecord,
} from '../../usage/usage-record.ts';

/**
 * The usage-record check on the span path, compiled by hand. A record usageRecordFromSpan
 * built has the schema's shape by construction (its fields, no others; labels non-empty
 * and cut to length; counts whole and non-negative); what it cannot promise — times and
 * durations in range, counts under the per-call ceiling, label names of the form the
 * engine accepts — is checked here in a few comparisons. A record that passes is exactly
 * what parseUsageRecord would return for it (same fields, same order), so it is handed on
 * as it is; anything else goes through parseUsageRecord, which throws the same
 * ValidationError it always did. Every check here is at least as strict as the schema's
 * (test/service/otlp/span-record-check.test.ts holds it to that).
 */

function isLabel(v: unknown): boolean {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_LABEL_VALUE_LENGTH;
}

function isCount(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_TOKENS_PER_CALL;
}

function isUsage(u: TokenUsage): boolean {
  return (
    typeof u === 'object' &&
    u !== null &&
    isCount(u.input) &&
    isCount(u.output) &&
    isCount(u.cacheRead) &&
    isCount(u.cacheWrite) &&
    isCount(u.cacheWrite1h) &&
    isCount(u.reasoning) &&
    u.cacheRead + u.cacheWrite <= u.input &&
    u.cacheWrite1h <= u.cacheWrite &&
    u.reasoning <= u.output
  );
}

/** Label names seen to match LABEL_NAME_PATTERN (few: the standard and configured labels). */
const goodNames = new Set<string>();
const MAX_GOOD_NAMES = 1024;

function isLabelName(k: string): boolean {
  if (goodNames.has(k)) return true;
  if (!LABEL_NAME_PATTERN.test(k)) return false;
  if (goodNames.size < MAX_GOOD_NAMES) goodNames.add(k);
  return true;
}

function isScope(scope: unknown): boolean {
  if (typeof scope !== 'object' || scope === null || Object.getPrototypeOf(scope) !== Object.prototype)
    return false;
  const s = scope as Record<string, unknown>;
  for (const k in s) if (!isLabelName(k) || !isLabel(s[k])) return false;
  return true;
}

/**
 * True when the schema would accept `r` unchanged (r as usageRecordFromSpan builds it).
 * `scopeVouched`: the caller kept only labels of names it checked against
 * LABEL_NAME_PATTERN, with values it made non-empty and cut to length (SpanRecords does).
 */
export function passesRecordCheck(r: UsageRecord, scopeVouched = false): boolean {
  const { id, time, durationMs } = r;
  return (
    typeof id === 'string' &&
    id.length > 0 &&
    id.length <= 256 &&
    typeof time === 'number' &&
    Number.isSafeInteger(time) &&
    time >= MIN_TIME &&
    time <= MAX_TIME &&
    typeof durationMs === 'number' &&
    durationMs >= 0 &&
    durationMs <= MAX_DURATION_MS &&
    (r.usageSource === 'provider' || r.usageSource === 'missing') &&
    r.providerCostNanoUsd === undefined &&
    isLabel(r.provider) &&
    isLabel(r.operation) &&
    isLabel(r.requestModel) &&
    (r.responseModel === undefined || isLabel(r.responseModel)) &&
    (r.toolName === undefined || isLabel(r.toolName)) &&
    (r.errorType === undefined || isLabel(r.errorType)) &&
    isUsage(r.usage) &&
    (scopeVouched || isScope(r.scope))
  );
}

/** `raw` validated as parseUsageRecord(raw, 'span') would, without its cost when it passes. */
export function checkedSpanRecord(raw: UsageRecord, scopeVouched = false): UsageRecord {
  return passesRecordCheck(raw, scopeVouched) ? raw : parseUsageRecord(raw, 'span');
}
