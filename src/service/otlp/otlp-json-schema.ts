import { z } from 'zod';
import { fastSchema } from '../../validation/fast-schema.ts';

/**
 * OTLP/JSON request bodies (the protobuf JSON mapping with the OTLP rules: lowerCamelCase
 * keys, trace and span ids as hex, 64-bit integers as decimal strings or numbers, enums as
 * integers), limited to the fields bursar reads. Unknown fields are allowed and ignored,
 * as the spec asks of receivers. Compiled with fastSchema: valid bodies are checked by
 * Ajv's generated code, and zod writes the message for invalid ones.
 */

const uint64 = z.union([
  z.string().regex(/^\d{1,20}$/, 'must be a decimal integer string'),
  z.number().nonnegative(),
]);
const int64 = z.union([z.string().regex(/^-?\d{1,20}$/, 'must be a decimal integer string'), z.number()]);
const hex = z.string().regex(/^(?:[0-9a-fA-F]{2})*$/, 'must be hex-encoded bytes');
const enumInt = z.number().int();
const double = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]);

export interface JsonAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number | 'NaN' | 'Infinity' | '-Infinity';
  arrayValue?: { values?: JsonAnyValue[] };
  kvlistValue?: { values?: JsonKeyValue[] };
  bytesValue?: string;
}
export interface JsonKeyValue {
  key: string;
  value?: JsonAnyValue;
}

const anyValue: z.ZodType<JsonAnyValue> = z.object({
  stringValue: z.string().optional(),
  boolValue: z.boolean().optional(),
  intValue: int64.optional(),
  doubleValue: double.optional(),
  get arrayValue() {
    return z.object({ values: z.array(anyValue).optional() }).optional();
  },
  get kvlistValue() {
    return z.object({ values: z.array(keyValue).optional() }).optional();
  },
  bytesValue: z.string().optional(),
});
const keyValue: z.ZodType<JsonKeyValue> = z.object({ key: z.string(), value: anyValue.optional() });
const attributes = z.array(keyValue).optional();

const resource = z.object({ attributes }).optional();
const scope = z.object({ name: z.string().optional() }).optional();

const span = z.object({
  traceId: hex.optional(),
  spanId: hex.optional(),
  parentSpanId: hex.optional(),
  kind: enumInt.optional(),
  startTimeUnixNano: uint64.optional(),
  endTimeUnixNano: uint64.optional(),
  attributes,
  status: z.object({ code: enumInt.optional() }).optional(),
});

export const tracesRequestSchema = z.object({
  resourceSpans: z
    .array(
      z.object({
        resource,
        scopeSpans: z.array(z.object({ scope, spans: z.array(span).optional() })).optional(),
      }),
    )
    .optional(),
});
export type JsonTracesRequest = z.output<typeof tracesRequestSchema>;

const histogramPoint = z.object({
  attributes,
  startTimeUnixNano: uint64.optional(),
  timeUnixNano: uint64.optional(),
  sum: double.optional(),
  flags: z.number().int().nonnegative().optional(),
});
const histogram = z
  .object({ dataPoints: z.array(histogramPoint).optional(), aggregationTemporality: enumInt.optional() })
  .optional();
/** Metrics bursar does not read: only their data points are counted. */
const otherData = z.object({ dataPoints: z.array(z.unknown()).optional() }).optional();

export const metricsRequestSchema = z.object({
  resourceMetrics: z
    .array(
      z.object({
        resource,
        scopeMetrics: z
          .array(
            z.object({
              scope,
              metrics: z
                .array(
                  z.object({
                    name: z.string().optional(),
                    gauge: otherData,
                    sum: otherData,
                    histogram,
                    exponentialHistogram: histogram,
                    summary: otherData,
                  }),
                )
                .optional(),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
});
export type JsonMetricsRequest = z.output<typeof metricsRequestSchema>;

export const fastTracesRequest = fastSchema(tracesRequestSchema, 'OTLP/JSON traces request');
export const fastMetricsRequest = fastSchema(metricsRequestSchema, 'OTLP/JSON metrics request');
