import protobuf from 'protobufjs';

/**
 * The OTLP messages as a protobufjs reflection schema, written from the field numbers of
 * opentelemetry-proto (common, resource, trace, metrics, collector services) and
 * google.rpc.Status — every field, not only the ones bursar reads. Used as an independent
 * oracle in the tests (encoding bodies the SDK would not send, decoding answers) and as the
 * full-decode baseline of bench/ingest.bench.ts. Enums are declared as int32 (same wire).
 */

const repeated = (type: string, id: number) => ({ rule: 'repeated', type, id });
const one = (type: string, id: number) => ({ type, id });

const descriptor = {
  nested: {
    AnyValue: {
      oneofs: {
        value: {
          oneof: [
            'stringValue',
            'boolValue',
            'intValue',
            'doubleValue',
            'arrayValue',
            'kvlistValue',
            'bytesValue',
          ],
        },
      },
      fields: {
        stringValue: one('string', 1),
        boolValue: one('bool', 2),
        intValue: one('int64', 3),
        doubleValue: one('double', 4),
        arrayValue: one('ArrayValue', 5),
        kvlistValue: one('KeyValueList', 6),
        bytesValue: one('bytes', 7),
      },
    },
    ArrayValue: { fields: { values: repeated('AnyValue', 1) } },
    KeyValueList: { fields: { values: repeated('KeyValue', 1) } },
    KeyValue: { fields: { key: one('string', 1), value: one('AnyValue', 2) } },
    InstrumentationScope: {
      fields: {
        name: one('string', 1),
        version: one('string', 2),
        attributes: repeated('KeyValue', 3),
        droppedAttributesCount: one('uint32', 4),
      },
    },
    Resource: { fields: { attributes: repeated('KeyValue', 1), droppedAttributesCount: one('uint32', 2) } },

    ExportTraceServiceRequest: { fields: { resourceSpans: repeated('ResourceSpans', 1) } },
    ResourceSpans: {
      fields: {
        resource: one('Resource', 1),
        scopeSpans: repeated('ScopeSpans', 2),
        schemaUrl: one('string', 3),
      },
    },
    ScopeSpans: {
      fields: {
        scope: one('InstrumentationScope', 1),
        spans: repeated('Span', 2),
        schemaUrl: one('string', 3),
      },
    },
    Span: {
      fields: {
        traceId: one('bytes', 1),
        spanId: one('bytes', 2),
        traceState: one('string', 3),
        parentSpanId: one('bytes', 4),
        flags: one('fixed32', 16),
        name: one('string', 5),
        kind: one('int32', 6),
        startTimeUnixNano: one('fixed64', 7),
        endTimeUnixNano: one('fixed64', 8),
        attributes: repeated('KeyValue', 9),
        droppedAttributesCount: one('uint32', 10),
        events: repeated('SpanEvent', 11),
        droppedEventsCount: one('uint32', 12),
        links: repeated('SpanLink', 13),
        droppedLinksCount: one('uint32', 14),
        status: one('Status', 15),
      },
    },
    SpanEvent: {
      fields: {
        timeUnixNano: one('fixed64', 1),
        name: one('string', 2),
        attributes: repeated('KeyValue', 3),
        droppedAttributesCount: one('uint32', 4),
      },
    },
    SpanLink: {
      fields: {
        traceId: one('bytes', 1),
        spanId: one('bytes', 2),
        traceState: one('string', 3),
        attributes: repeated('KeyValue', 4),
        droppedAttributesCount: one('uint32', 5),
        flags: one('fixed32', 6),
      },
    },
    Status: { fields: { message: one('string', 2), code: one('int32', 3) } },
    ExportTraceServiceResponse: { fields: { partialSuccess: one('ExportTracePartialSuccess', 1) } },
    ExportTracePartialSuccess: { fields: { rejectedSpans: one('int64', 1), errorMessage: one('string', 2) } },

    ExportMetricsServiceRequest: { fields: { resourceMetrics: repeated('ResourceMetrics', 1) } },
    ResourceMetrics: {
      fields: {
        resource: one('Resource', 1),
        scopeMetrics: repeated('ScopeMetrics', 2),
        schemaUrl: one('string', 3),
      },
    },
    ScopeMetrics: {
      fields: {
        scope: one('InstrumentationScope', 1),
        metrics: repeated('Metric', 2),
        schemaUrl: one('string', 3),
      },
    },
    Metric: {
      fields: {
        name: one('string', 1),
        description: one('string', 2),
        unit: one('string', 3),
        gauge: one('Gauge', 5),
        sum: one('Sum', 7),
        histogram: one('Histogram', 9),
        exponentialHistogram: one('ExponentialHistogram', 10),
        summary: one('Summary', 11),
        metadata: repeated('KeyValue', 12),
      },
    },
    Gauge: { fields: { dataPoints: repeated('NumberDataPoint', 1) } },
    Sum: {
      fields: {
        dataPoints: repeated('NumberDataPoint', 1),
        aggregationTemporality: one('int32', 2),
        isMonotonic: one('bool', 3),
      },
    },
    Histogram: {
      fields: { dataPoints: repeated('HistogramDataPoint', 1), aggregationTemporality: one('int32', 2) },
    },
    ExponentialHistogram: {
      fields: {
        dataPoints: repeated('ExponentialHistogramDataPoint', 1),
        aggregationTemporality: one('int32', 2),
      },
    },
    Summary: { fields: { dataPoints: repeated('SummaryDataPoint', 1) } },
    NumberDataPoint: {
      fields: {
        attributes: repeated('KeyValue', 7),
        startTimeUnixNano: one('fixed64', 2),
        timeUnixNano: one('fixed64', 3),
        asDouble: one('double', 4),
        asInt: one('sfixed64', 6),
        flags: one('uint32', 8),
      },
    },
    HistogramDataPoint: {
      fields: {
        attributes: repeated('KeyValue', 9),
        startTimeUnixNano: one('fixed64', 2),
        timeUnixNano: one('fixed64', 3),
        count: one('fixed64', 4),
        sum: one('double', 5),
        bucketCounts: repeated('fixed64', 6),
        explicitBounds: repeated('double', 7),
        flags: one('uint32', 10),
        min: one('double', 11),
        max: one('double', 12),
      },
    },
    ExponentialHistogramDataPoint: {
      fields: {
        attributes: repeated('KeyValue', 1),
        startTimeUnixNano: one('fixed64', 2),
        timeUnixNano: one('fixed64', 3),
        count: one('fixed64', 4),
        sum: one('double', 5),
        scale: one('sint32', 6),
        zeroCount: one('fixed64', 7),
        flags: one('uint32', 10),
        min: one('double', 12),
        max: one('double', 13),
      },
    },
    SummaryDataPoint: {
      fields: {
        attributes: repeated('KeyValue', 7),
        startTimeUnixNano: one('fixed64', 2),
        timeUnixNano: one('fixed64', 3),
        count: one('fixed64', 4),
        sum: one('double', 5),
        flags: one('uint32', 8),
      },
    },
    ExportMetricsServiceResponse: { fields: { partialSuccess: one('ExportMetricsPartialSuccess', 1) } },
    ExportMetricsPartialSuccess: {
      fields: { rejectedDataPoints: one('int64', 1), errorMessage: one('string', 2) },
    },
    RpcStatus: { fields: { code: one('int32', 1), message: one('string', 2) } },
  },
};

const root = protobuf.Root.fromJSON(descriptor);

export const otlpProto = {
  ExportTraceServiceRequest: root.lookupType('ExportTraceServiceRequest'),
  ExportTraceServiceResponse: root.lookupType('ExportTraceServiceResponse'),
  ExportMetricsServiceRequest: root.lookupType('ExportMetricsServiceRequest'),
  ExportMetricsServiceResponse: root.lookupType('ExportMetricsServiceResponse'),
  RpcStatus: root.lookupType('RpcStatus'),
};

/** Plain-object form of a decoded message (longs as numbers, bytes as hex). */
export function toPlain(type: protobuf.Type, bytes: Uint8Array): Record<string, unknown> {
  return type.toObject(type.decode(bytes), { longs: Number, bytes: String, defaults: false }) as Record<
    string,
    unknown
  >;
}
