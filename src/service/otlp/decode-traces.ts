import { type Attributes, type KeyFilter, readAttribute, readSimpleAttribute } from './attributes.ts';
import type { DecodedResource, DecodedTraces, DecodeOptions } from './decoded.ts';
import { hex, releaseView } from './key-filter.ts';
import { locate, OVER_LIMIT, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, WireReader } from './wire-reader.ts';

/**
 * ExportTraceServiceRequest (protobuf) → the GenAI spans in it, by a selective walk of
 * the wire format written from the OTLP trace.proto field numbers. No .proto files, no
 * generated code: each message is walked once, fields bursar does not read are skipped
 * by length, and strings are made only for the attributes a KeyFilter wants and the ids
 * of the spans handed on.
 *
 *   ExportTraceServiceRequest  1 resource_spans
 *   ResourceSpans              1 resource, 2 scope_spans
 *   Resource                   1 attributes
 *   ScopeSpans                 1 scope, 2 spans
 *   InstrumentationScope       1 name
 *   Span                       1 trace_id, 2 span_id, 4 parent_span_id, 7 start_time_unix_nano,
 *                              8 end_time_unix_nano, 9 attributes, 15 status
 *   Status                     3 code
 */

/** Decodes a whole request; throws OtlpDecodeError (naming the field) for a malformed body. */
export function decodeTraces(body: Buffer, opts: DecodeOptions): DecodedTraces {
  try {
    return walkTraces(body, opts);
  } finally {
    releaseView();
  }
}

function walkTraces(body: Buffer, opts: DecodeOptions): DecodedTraces {
  const r = new WireReader(body);
  r.maxAttributes = opts.maxAttributes ?? Infinity;
  const out: DecodedTraces = { spans: [], total: 0 };
  let i = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 !== 1) {
      r.skip(tag);
      continue;
    }
    try {
      r.expect(tag, WIRE_LEN, 'resource_spans');
      const outer = r.enter();
      readResourceSpans(r, opts, out);
      r.leave(outer);
    } catch (e) {
      locate(e, `resource_spans[${i}]`);
    }
    i++;
  }
  out.values = r.values;
  return out;
}

/** Reads the Resource message (field `field` of the enclosing message, tag just read). */
export function readResource(r: WireReader, tag: number, keys: KeyFilter, into: Attributes): void {
  try {
    r.expect(tag, WIRE_LEN, 'resource');
    const outer = r.enter();
    const resourceEnd = r.end;
    r.startItem();
    let a = 0;
    try {
      while (r.pos < r.end) {
        const t = r.tag();
        if (t >>> 3 === 1) {
          readAttribute(r, t, keys, into, 'attributes', a++);
          r.checkLimit();
        } else r.skip(t);
      }
    } catch (e) {
      // Over otlp.maxAttributes: the rest is not read; the count says so.
      if (e !== OVER_LIMIT) throw e;
      r.end = resourceEnd;
    }
    r.leave(outer);
  } catch (e) {
    locate(e, 'resource');
  }
}

/** Reads InstrumentationScope.name (tag just read). */
export function readScopeName(r: WireReader, tag: number): string {
  let name = '';
  try {
    r.expect(tag, WIRE_LEN, 'scope');
    const outer = r.enter();
    while (r.pos < r.end) {
      const t = r.tag();
      if (t >>> 3 === 1) {
        r.expect(t, WIRE_LEN, 'name');
        name = r.string();
      } else r.skip(t);
    }
    r.leave(outer);
  } catch (e) {
    locate(e, 'scope');
  }
  return name;
}

/**
 * Runs `each` on every element of repeated message field `field` (named `name`), with the
 * reader narrowed to it, after a first pass that let `first` read field `firstField`
 * (the resource or scope, which the wire may place after the items it describes).
 */
export function walkTwoPass(
  r: WireReader,
  firstField: number,
  first: (tag: number) => void,
  field: number,
  name: string,
  each: () => void,
): void {
  const start = r.pos;
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 === firstField) first(tag);
    else r.skip(tag);
  }
  r.pos = start;
  let i = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 !== field) {
      r.skip(tag);
      continue;
    }
    try {
      r.expect(tag, WIRE_LEN, name);
      const outer = r.enter();
      each();
      r.leave(outer);
    } catch (e) {
      locate(e, `${name}[${i}]`);
    }
    i++;
  }
}

function readResourceSpans(r: WireReader, opts: DecodeOptions, out: DecodedTraces): void {
  const resource: DecodedResource = { attributes: {} };
  walkTwoPass(
    r,
    1,
    (tag) => {
      const before = r.values;
      readResource(r, tag, opts.resourceKeys, resource.attributes);
      resource.values = (resource.values ?? 0) + r.values - before;
    },
    2,
    'scope_spans',
    () => {
      let scope = '';
      walkTwoPass(
        r,
        1,
        (tag) => (scope = readScopeName(r, tag)),
        2,
        'spans',
        () => readSpan(r, opts, resource, scope, out),
      );
    },
  );
}

/**
 * A span's kept attributes. Instances of a class rather than `{}`: V8 sizes a class's
 * instances to the properties they are given (about ten here) and keeps them in the
 * object, where `{}` starts with four and grows a separate store as keys are added. Its
 * prototype adds no enumerable properties, so reading and iterating are as for `{}`.
 */
class KeptAttributes {}

/** Span.attributes (field 9, length-delimited) as a one-byte tag. */
const ATTRIBUTE_TAG = (9 << 3) | WIRE_LEN;

function readSpan(
  r: WireReader,
  opts: DecodeOptions,
  resource: DecodedResource,
  scope: string,
  out: DecodedTraces,
): void {
  out.total++;
  const valuesBefore = r.startItem();
  const itemEnd = r.end;
  let over = false;
  let traceStart = -1;
  let traceEnd = -1;
  let spanStart = -1;
  let spanEnd = -1;
  let parentStart = -1;
  let parentEnd = -1;
  let startNs = 0;
  let endNs = 0;
  let statusCode = 0;
  let a = 0;
  const attributes = new KeptAttributes() as Attributes;
  const keys = opts.spanKeys;
  try {
    while (r.pos < r.end) {
      // Most fields are attributes: the usual KeyValue is read without the general loop.
      if (r.buf[r.pos] === ATTRIBUTE_TAG) {
        const next = readSimpleAttribute(r, r.pos + 1, keys, attributes);
        if (next >= 0) {
          r.pos = next;
          a++;
          r.checkLimit();
          continue;
        }
      }
      const tag = r.tag();
      switch (tag >>> 3) {
        case 1:
          r.expect(tag, WIRE_LEN, 'trace_id');
          traceEnd = r.len();
          traceStart = r.pos;
          r.pos = traceEnd;
          break;
        case 2:
          r.expect(tag, WIRE_LEN, 'span_id');
          spanEnd = r.len();
          spanStart = r.pos;
          r.pos = spanEnd;
          break;
        case 4:
          r.expect(tag, WIRE_LEN, 'parent_span_id');
          parentEnd = r.len();
          parentStart = r.pos;
          r.pos = parentEnd;
          break;
        case 7:
          r.expect(tag, WIRE_FIXED64, 'start_time_unix_nano');
          startNs = r.fixed64();
          break;
        case 8:
          r.expect(tag, WIRE_FIXED64, 'end_time_unix_nano');
          endNs = r.fixed64();
          break;
        case 9:
          readAttribute(r, tag, keys, attributes, 'attributes', a++);
          r.checkLimit();
          break;
        case 15:
          statusCode = readStatusCode(r, tag);
          break;
        default:
          r.skip(tag);
      }
    }
  } catch (e) {
    // Over otlp.maxAttributes: the rest of the span is not read, and it is handed on to be
    // rejected (its count says why), GenAI or not.
    if (e !== OVER_LIMIT) throw e;
    over = true;
    r.end = itemEnd;
    r.pos = itemEnd;
  }
  if (!over && !opts.isCandidate(attributes)) return;
  const buf = r.buf;
  let traceId: string;
  let spanId: string;
  let parentSpanId: string;
  // Encoders write trace_id, span_id (and parent_span_id after an empty trace_state) next
  // to each other, two tag/length bytes apart: one hex conversion then covers all three.
  if (traceStart >= 0 && spanStart === traceEnd + 2 && (parentStart < 0 || parentStart === spanEnd + 2)) {
    const all = hex(buf, traceStart, parentStart < 0 ? spanEnd : parentEnd);
    const s = (spanStart - traceStart) * 2;
    traceId = all.slice(0, (traceEnd - traceStart) * 2);
    spanId = all.slice(s, s + (spanEnd - spanStart) * 2);
    parentSpanId = parentStart < 0 ? '' : all.slice((parentStart - traceStart) * 2);
  } else {
    traceId = traceStart < 0 ? '' : hex(buf, traceStart, traceEnd);
    spanId = spanStart < 0 ? '' : hex(buf, spanStart, spanEnd);
    parentSpanId = parentStart < 0 ? '' : hex(buf, parentStart, parentEnd);
  }
  out.spans.push({
    resource,
    scope,
    traceId,
    spanId,
    parentSpanId,
    startNs,
    endNs,
    attributes,
    statusCode,
    values: r.values - valuesBefore,
  });
}

function readStatusCode(r: WireReader, tag: number): number {
  let code = 0;
  try {
    r.expect(tag, WIRE_LEN, 'status');
    const outer = r.enter();
    while (r.pos < r.end) {
      const t = r.tag();
      if (t >>> 3 === 3) {
        r.expect(t, WIRE_VARINT, 'code');
        code = r.int();
      } else r.skip(t);
    }
    r.leave(outer);
  } catch (e) {
    locate(e, 'status');
  }
  return code;
}
