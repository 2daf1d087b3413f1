import { randomBytes } from 'node:crypto';
import { otlpProto } from './otlp-proto.ts';

/**
 * OTLP request bodies built directly (protobuf through the reflection schema, and the
 * OTLP/JSON mapping), for cases the SDK exporters would never send: chosen ids, malformed
 * values, exact byte layouts.
 */

export type Attr = string | number | boolean | Attr[] | { [k: string]: Attr } | Uint8Array;

export interface SpanSpec {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  startMs?: number;
  endMs?: number;
  /** Integers become int_value, other numbers double_value (use { double: n } for a whole double). */
  attributes?: Record<string, Attr | { double: number }>;
  status?: number;
}

export interface ResourceSpec {
  attributes?: Record<string, Attr>;
  scopes: { name?: string; spans: SpanSpec[] }[];
}

export const hexId = (bytes: number) => randomBytes(bytes).toString('hex');

function anyValue(v: Attr | { double: number }): Record<string, unknown> {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: v } : { doubleValue: v };
  if (v instanceof Uint8Array) return { bytesValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValue) } };
  if ('double' in v && typeof v.double === 'number') return { doubleValue: v.double };
  return { kvlistValue: { values: keyValues(v as Record<string, Attr>) } };
}

function keyValues(a: Record<string, Attr | { double: number }> = {}): Record<string, unknown>[] {
  return Object.entries(a).map(([key, value]) => ({ key, value: anyValue(value) }));
}

/** Nanoseconds as a decimal string: protobufjs reads 64-bit fields from strings exactly. */
const nanos = (ms: number) => `${Math.round(ms)}000000`;

/** The ExportTraceServiceRequest as a plain object (protobufjs field names). */
export function tracesRequest(resources: ResourceSpec[]): Record<string, unknown> {
  return {
    resourceSpans: resources.map((r) => ({
      resource: { attributes: keyValues(r.attributes) },
      scopeSpans: r.scopes.map((s) => ({
        scope: { name: s.name ?? 'test-instrumentation', version: '1.0.0' },
        spans: s.spans.map((sp) => ({
          traceId: Buffer.from(sp.traceId ?? hexId(16), 'hex'),
          spanId: Buffer.from(sp.spanId ?? hexId(8), 'hex'),
          ...(sp.parentSpanId ? { parentSpanId: Buffer.from(sp.parentSpanId, 'hex') } : {}),
          name: sp.name ?? 'chat',
          kind: 3,
          startTimeUnixNano: nanos((sp.endMs ?? Date.UTC(2026, 4, 20)) - 500),
          endTimeUnixNano: nanos(sp.endMs ?? Date.UTC(2026, 4, 20)),
          attributes: keyValues(sp.attributes),
          ...(sp.status !== undefined ? { status: { code: sp.status } } : {}),
        })),
      })),
    })),
  };
}

export function tracesProto(resources: ResourceSpec[]): Uint8Array {
  const type = otlpProto.ExportTraceServiceRequest;
  return type.encode(type.fromObject(tracesRequest(resources))).finish();
}

function jsonValue(v: Attr | { double: number }): Record<string, unknown> {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (v instanceof Uint8Array) return { bytesValue: Buffer.from(v).toString('base64') };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(jsonValue) } };
  if ('double' in v && typeof v.double === 'number') return { doubleValue: v.double };
  return { kvlistValue: { values: jsonAttributes(v as Record<string, Attr>) } };
}

function jsonAttributes(a: Record<string, Attr | { double: number }> = {}) {
  return Object.entries(a).map(([key, value]) => ({ key, value: jsonValue(value) }));
}

/** The same request in OTLP/JSON (hex ids, int64 as strings, enums as integers). */
export function tracesJson(resources: ResourceSpec[]): string {
  return JSON.stringify({
    resourceSpans: resources.map((r) => ({
      resource: { attributes: jsonAttributes(r.attributes) },
      scopeSpans: r.scopes.map((s) => ({
        scope: { name: s.name ?? 'test-instrumentation' },
        spans: s.spans.map((sp) => ({
          traceId: sp.traceId ?? hexId(16),
          spanId: sp.spanId ?? hexId(8),
          ...(sp.parentSpanId ? { parentSpanId: sp.parentSpanId } : {}),
          name: sp.name ?? 'chat',
          kind: 3,
          startTimeUnixNano: `${Math.round((sp.endMs ?? Date.UTC(2026, 4, 20)) - 500)}000000`,
          endTimeUnixNano: `${Math.round(sp.endMs ?? Date.UTC(2026, 4, 20))}000000`,
          attributes: jsonAttributes(sp.attributes),
          ...(sp.status !== undefined ? { status: { code: sp.status } } : {}),
        })),
      })),
    })),
  });
}

export interface PointSpec {
  attributes: Record<string, Attr>;
  startMs: number;
  timeMs: number;
  sum?: number;
  flags?: number;
}

export interface MetricSpec {
  name?: string;
  temporality: 1 | 2;
  points: PointSpec[];
  exponential?: boolean;
}

export function metricsRequest(
  resource: Record<string, Attr>,
  metrics: MetricSpec[],
): Record<string, unknown> {
  return {
    resourceMetrics: [
      {
        resource: { attributes: keyValues(resource) },
        scopeMetrics: [
          {
            scope: { name: 'bursar' },
            metrics: metrics.map((m) => {
              const data = {
                aggregationTemporality: m.temporality,
                dataPoints: m.points.map((p) => ({
                  attributes: keyValues(p.attributes),
                  startTimeUnixNano: nanos(p.startMs),
                  timeUnixNano: nanos(p.timeMs),
                  count: 1,
                  ...(p.sum !== undefined ? { sum: p.sum } : {}),
                  ...(p.flags !== undefined ? { flags: p.flags } : {}),
                })),
              };
              return {
                name: m.name ?? 'gen_ai.client.token.usage',
                unit: '{token}',
                ...(m.exponential ? { exponentialHistogram: data } : { histogram: data }),
              };
            }),
          },
        ],
      },
    ],
  };
}

export function metricsProto(resource: Record<string, Attr>, metrics: MetricSpec[]): Uint8Array {
  const type = otlpProto.ExportMetricsServiceRequest;
  return type.encode(type.fromObject(metricsRequest(resource, metrics))).finish();
}
