import { METRIC_GEN_AI_CLIENT_TOKEN_USAGE } from '../../semconv.ts';
import { type Attributes, KeyFilter, readAttribute } from './attributes.ts';
import { readResource, readScopeName, walkTwoPass } from './decode-traces.ts';
import type { DecodedMetrics, DecodedResource, TokenUsagePoint } from './decoded.ts';
import { releaseView } from './key-filter.ts';
import { locate, OVER_LIMIT, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, WireReader } from './wire-reader.ts';

/**
 * ExportMetricsServiceRequest (protobuf) → the data points of gen_ai.client.token.usage,
 * by the same selective wire walk as the traces (metrics.proto field numbers):
 *
 *   ExportMetricsServiceRequest     1 resource_metrics
 *   ResourceMetrics                 1 resource, 2 scope_metrics
 *   ScopeMetrics                    1 scope, 2 metrics
 *   Metric                          1 name, 5 gauge, 7 sum, 9 histogram,
 *                                   10 exponential_histogram, 11 summary
 *   Histogram / ExponentialHistogram 1 data_points, 2 aggregation_temporality
 *   HistogramDataPoint              9 attributes, 2 start_time_unix_nano, 3 time_unix_nano,
 *                                   5 sum, 10 flags
 *   ExponentialHistogramDataPoint   1 attributes, 2 start_time_unix_nano, 3 time_unix_nano,
 *                                   5 sum, 10 flags
 *
 * Other metrics are skipped by length; their data points are only counted. Every
 * attribute of a token-usage point is kept: together they name its series.
 */

const ALL = KeyFilter.everything();
const HISTOGRAM = 9;
const EXPONENTIAL_HISTOGRAM = 10;
const DATA_FIELDS = new Set([5, 7, HISTOGRAM, EXPONENTIAL_HISTOGRAM, 11]);
const DATA_NAMES: Record<number, string> = {
  5: 'gauge',
  7: 'sum',
  [HISTOGRAM]: 'histogram',
  [EXPONENTIAL_HISTOGRAM]: 'exponential_histogram',
  11: 'summary',
};

/**
 * Decodes a whole request; throws OtlpDecodeError (naming the field) for a malformed body.
 * Reading a data point or resource stops past `maxAttributes` values (otlp.maxAttributes).
 */
export function decodeMetrics(body: Buffer, maxAttributes = Infinity): DecodedMetrics {
  try {
    return walkMetrics(body, maxAttributes);
  } finally {
    releaseView();
  }
}

function walkMetrics(body: Buffer, maxAttributes: number): DecodedMetrics {
  const r = new WireReader(body);
  r.maxAttributes = maxAttributes;
  const out: DecodedMetrics = { points: [], total: 0 };
  let i = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 !== 1) {
      r.skip(tag);
      continue;
    }
    try {
      r.expect(tag, WIRE_LEN, 'resource_metrics');
      const outer = r.enter();
      readResourceMetrics(r, out);
      r.leave(outer);
    } catch (e) {
      locate(e, `resource_metrics[${i}]`);
    }
    i++;
  }
  out.values = r.values;
  return out;
}

function readResourceMetrics(r: WireReader, out: DecodedMetrics): void {
  const resource: DecodedResource = { attributes: {} };
  walkTwoPass(
    r,
    1,
    (tag) => {
      const before = r.values;
      readResource(r, tag, ALL, resource.attributes);
      resource.values = (resource.values ?? 0) + r.values - before;
    },
    2,
    'scope_metrics',
    () => {
      let scope = '';
      walkTwoPass(
        r,
        1,
        (tag) => (scope = readScopeName(r, tag)),
        2,
        'metrics',
        () => readMetric(r, resource, scope, out),
      );
    },
  );
}

function readMetric(r: WireReader, resource: DecodedResource, scope: string, out: DecodedMetrics): void {
  const start = r.pos;
  let name = '';
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 === 1) {
      r.expect(tag, WIRE_LEN, 'name');
      name = r.string();
    } else r.skip(tag);
  }
  r.pos = start;
  const tokenUsage = name === METRIC_GEN_AI_CLIENT_TOKEN_USAGE;
  while (r.pos < r.end) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (!DATA_FIELDS.has(field)) {
      r.skip(tag);
      continue;
    }
    const what = DATA_NAMES[field]!;
    try {
      r.expect(tag, WIRE_LEN, what);
      const outer = r.enter();
      if (tokenUsage && (field === HISTOGRAM || field === EXPONENTIAL_HISTOGRAM))
        readHistogram(r, field === HISTOGRAM ? 9 : 1, resource, scope, out);
      else out.total += countPoints(r);
      r.leave(outer);
    } catch (e) {
      locate(e, what);
    }
  }
}

/** Data points of a metric bursar does not read: counted, not decoded. */
function countPoints(r: WireReader): number {
  let n = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 === 1) n++;
    r.skip(tag);
  }
  return n;
}

function readHistogram(
  r: WireReader,
  attributesField: number,
  resource: DecodedResource,
  scope: string,
  out: DecodedMetrics,
): void {
  let temporality = 0;
  walkTwoPass(
    r,
    2,
    (tag) => {
      r.expect(tag, WIRE_VARINT, 'aggregation_temporality');
      temporality = r.int();
    },
    1,
    'data_points',
    () => {
      out.total++;
      out.points.push(readPoint(r, attributesField, resource, scope, temporality));
    },
  );
}

function readPoint(
  r: WireReader,
  attributesField: number,
  resource: DecodedResource,
  scope: string,
  temporality: number,
): TokenUsagePoint {
  const attributes: Attributes = {};
  const point: TokenUsagePoint = {
    resource,
    scope,
    temporality,
    attributes,
    startNs: 0,
    timeNs: 0,
    sum: undefined,
    flags: 0,
  };
  let a = 0;
  const valuesBefore = r.startItem();
  const itemEnd = r.end;
  try {
    while (r.pos < r.end) {
      const tag = r.tag();
      const field = tag >>> 3;
      if (field === attributesField) {
        readAttribute(r, tag, ALL, attributes, 'attributes', a++);
        r.checkLimit();
      } else if (field === 2) {
        r.expect(tag, WIRE_FIXED64, 'start_time_unix_nano');
        point.startNs = r.fixed64();
      } else if (field === 3) {
        r.expect(tag, WIRE_FIXED64, 'time_unix_nano');
        point.timeNs = r.fixed64();
      } else if (field === 5) {
        r.expect(tag, WIRE_FIXED64, 'sum');
        point.sum = r.double();
      } else if (field === 10) {
        r.expect(tag, WIRE_VARINT, 'flags');
        point.flags = r.uint();
      } else r.skip(tag);
    }
  } catch (e) {
    // Over otlp.maxAttributes: the rest of the point is not read; its count says why.
    if (e !== OVER_LIMIT) throw e;
    r.end = itemEnd;
    r.pos = itemEnd;
  }
  point.values = r.values - valuesBefore;
  return point;
}
