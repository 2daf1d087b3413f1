import type { Attributes, KeyFilter } from './attributes.ts';

/**
 * What the decoders (protobuf wire walk and OTLP/JSON) hand on: only the spans and data
 * points bursar can count, with only the attributes it reads. Both encodings produce
 * exactly these shapes, so everything after decoding is shared.
 */

export interface DecodedResource {
  /** The resource attributes the receiver reads (labels, process identity; all of them for metrics). */
  attributes: Attributes;
  /** Attribute values read (nested elements count one each), for otlp.maxAttributes. */
  values?: number;
}

export interface DecodedSpan {
  resource: DecodedResource;
  /** Instrumentation scope name ('' when absent). */
  scope: string;
  /** Lower-case hex, '' when absent; lengths are checked later, per span. */
  traceId: string;
  spanId: string;
  parentSpanId: string;
  startNs: number;
  endNs: number;
  attributes: Attributes;
  /** Status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  /** Attribute values read (nested elements count one each), for otlp.maxAttributes. */
  values?: number;
}

export interface DecodedTraces {
  /** Spans carrying a GenAI operation, provider or system attribute. */
  spans: DecodedSpan[];
  /** Every span in the request, GenAI or not. */
  total: number;
  /** Attribute values read from the whole request: what decoding it holds in memory. */
  values?: number;
}

/** Aggregation temporality (metrics.proto): 1 delta, 2 cumulative. */
export const TEMPORALITY_DELTA = 1;
export const TEMPORALITY_CUMULATIVE = 2;

/** One data point of a gen_ai.client.token.usage histogram (explicit or exponential). */
export interface TokenUsagePoint {
  resource: DecodedResource;
  scope: string;
  temporality: number;
  /** Every attribute of the point: together they name its series. */
  attributes: Attributes;
  startNs: number;
  timeNs: number;
  /** The sum of token counts; undefined when the point carries none. */
  sum: number | undefined;
  /** DataPointFlags: bit 0 is FLAG_NO_RECORDED_VALUE. */
  flags: number;
  /** Attribute values read (nested elements count one each), for otlp.maxAttributes. */
  values?: number;
}

export interface DecodedMetrics {
  points: TokenUsagePoint[];
  /** Every data point in the request, of any metric. */
  total: number;
  /** Attribute values read from the whole request: what decoding it holds in memory. */
  values?: number;
}

/** What the decoders keep: which attributes to read, and which spans bursar can count. */
export interface DecodeOptions {
  spanKeys: KeyFilter;
  resourceKeys: KeyFilter;
  /** True for the spans handed on (GenAI spans); others are only counted. */
  isCandidate(attributes: Attributes): boolean;
  /** otlp.maxAttributes: reading an item stops past this many values (default: no limit). */
  maxAttributes?: number;
}
