import { METRIC_GEN_AI_CLIENT_TOKEN_USAGE } from '../../semconv.ts';
import { ValidationError } from '../../validation/errors.ts';
import { type Attributes, type AttributeValue, type KeyFilter, MAX_VALUE_DEPTH } from './attributes.ts';
import type { DecodedMetrics, DecodedResource, DecodedTraces, DecodeOptions } from './decoded.ts';
import {
  fastMetricsRequest,
  fastTracesRequest,
  type JsonAnyValue,
  type JsonKeyValue,
} from './otlp-json-schema.ts';
import { OtlpDecodeError, OVER_LIMIT } from './wire-reader.ts';

/**
 * OTLP/JSON bodies → the same decoded shapes as the protobuf walk. The text's nesting
 * depth is bounded before anything recursive runs (the schema validator and the value
 * conversion recurse), then the body is validated with the zod schema; every failure is
 * an OtlpDecodeError naming what was wrong.
 */

/** Deepest nesting of a valid request with attribute values at MAX_VALUE_DEPTH, rounded up. */
const MAX_JSON_DEPTH = 16 + 3 * MAX_VALUE_DEPTH;

function nestingExceeds(buf: Buffer, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

function parse<T>(body: Buffer, validate: { parse(input: unknown): T }): T {
  if (nestingExceeds(body, MAX_JSON_DEPTH))
    throw new OtlpDecodeError(`JSON nests deeper than ${MAX_JSON_DEPTH} levels`);
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new OtlpDecodeError(`body is not valid JSON: ${(e as Error).message}`);
  }
  try {
    return validate.parse(json);
  } catch (e) {
    if (e instanceof ValidationError) throw new OtlpDecodeError(e.message);
    throw e;
  }
}

function number(v: string | number | undefined): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  return v === 'NaN' ? Number.NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : Number(v);
}

/** Attribute values converted so far (decoding is synchronous: one request at a time). */
let converted = 0;
/** The count of `converted` past which the item being read is over otlp.maxAttributes. */
let limitAt = Infinity;

function value(v: JsonAnyValue | undefined): AttributeValue | undefined {
  const x = convert(v);
  if (x !== undefined && ++converted > limitAt) throw OVER_LIMIT;
  return x;
}

/**
 * Reads one item's attributes (a span's, a data point's, a resource's), stopping past `max`
 * values; returns how many were read (more than `max`: over the limit).
 */
function readItem(
  list: JsonKeyValue[] | undefined,
  keys: KeyFilter | undefined,
  into: Attributes,
  max: number,
): number {
  const before = converted;
  limitAt = before + max;
  try {
    readAttributes(list, keys, into);
  } catch (e) {
    if (e !== OVER_LIMIT) throw e;
  } finally {
    limitAt = Infinity;
  }
  return converted - before;
}

function convert(v: JsonAnyValue | undefined): AttributeValue | undefined {
  if (v === undefined) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return number(v.intValue);
  if (v.doubleValue !== undefined) return number(v.doubleValue);
  if (v.arrayValue !== undefined) {
    const out: AttributeValue[] = [];
    for (const item of v.arrayValue.values ?? []) {
      const x = value(item);
      if (x !== undefined) out.push(x);
    }
    return out;
  }
  if (v.kvlistValue !== undefined) {
    const out: Attributes = {};
    readAttributes(v.kvlistValue.values, undefined, out);
    return out;
  }
  if (v.bytesValue !== undefined) return new Uint8Array(Buffer.from(v.bytesValue, 'base64'));
  return undefined;
}

function readAttributes(
  list: JsonKeyValue[] | undefined,
  keys: KeyFilter | undefined,
  into: Attributes,
): void {
  if (!list) return;
  for (const kv of list) {
    if (kv.key === '__proto__' || (keys !== undefined && !keys.has(kv.key))) continue;
    const v = value(kv.value);
    if (v !== undefined) into[kv.key] = v;
  }
}

export function decodeTracesJson(body: Buffer, opts: DecodeOptions): DecodedTraces {
  const req = parse(body, fastTracesRequest);
  const out: DecodedTraces = { spans: [], total: 0 };
  const start = converted;
  const max = opts.maxAttributes ?? Infinity;
  for (const rs of req.resourceSpans ?? []) {
    const resource: DecodedResource = { attributes: {} };
    resource.values = readItem(rs.resource?.attributes, opts.resourceKeys, resource.attributes, max);
    for (const ss of rs.scopeSpans ?? []) {
      const scope = ss.scope?.name ?? '';
      for (const s of ss.spans ?? []) {
        out.total++;
        const attributes: Attributes = {};
        const values = readItem(s.attributes, opts.spanKeys, attributes, max);
        if (values <= max && !opts.isCandidate(attributes)) continue;
        const spanId = (s.spanId ?? '').toLowerCase();
        const parentSpanId = (s.parentSpanId ?? '').toLowerCase();
        out.spans.push({
          resource,
          scope,
          traceId: (s.traceId ?? '').toLowerCase(),
          spanId,
          parentSpanId,
          startNs: number(s.startTimeUnixNano),
          endNs: number(s.endTimeUnixNano),
          attributes,
          statusCode: s.status?.code ?? 0,
          values,
        });
      }
    }
  }
  out.values = converted - start;
  return out;
}

export function decodeMetricsJson(body: Buffer, max = Infinity): DecodedMetrics {
  const req = parse(body, fastMetricsRequest);
  const out: DecodedMetrics = { points: [], total: 0 };
  const start = converted;
  for (const rm of req.resourceMetrics ?? []) {
    const resource: DecodedResource = { attributes: {} };
    resource.values = readItem(rm.resource?.attributes, undefined, resource.attributes, max);
    for (const sm of rm.scopeMetrics ?? []) {
      const scope = sm.scope?.name ?? '';
      for (const m of sm.metrics ?? []) {
        const tokenUsage = m.name === METRIC_GEN_AI_CLIENT_TOKEN_USAGE;
        for (const other of [m.gauge, m.sum, m.summary]) out.total += other?.dataPoints?.length ?? 0;
        for (const h of [m.histogram, m.exponentialHistogram]) {
          if (!h) continue;
          for (const p of h.dataPoints ?? []) {
            out.total++;
            if (!tokenUsage) continue;
            const attributes: Attributes = {};
            const values = readItem(p.attributes, undefined, attributes, max);
            out.points.push({
              resource,
              scope,
              temporality: h.aggregationTemporality ?? 0,
              attributes,
              startNs: number(p.startTimeUnixNano),
              timeNs: number(p.timeUnixNano),
              sum: p.sum === undefined ? undefined : number(p.sum),
              flags: p.flags ?? 0,
              values,
            });
          }
        }
      }
    }
  }
  out.values = converted - start;
  return out;
}
