import {
  locate,
  OtlpDecodeError,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
  type WireReader,
} from './wire-reader.ts';
import { KeyFilter, shortStrings } from './key-filter.ts';

export { KeyFilter } from './key-filter.ts';

/**
 * OTLP attributes (KeyValue / AnyValue, common.proto) read into plain objects. Only the
 * keys a KeyFilter wants are read: for every other attribute the key is matched in place
 * and its value skipped by length, so a span full of HTTP or database attributes costs
 * no strings at all.
 */

/** An attribute value as JavaScript: AnyValue's string, bool, int, double, array, kvlist or bytes. */
export type AttributeValue =
  string | boolean | number | Uint8Array | AttributeValue[] | { [key: string]: AttributeValue };
export type Attributes = Record<string, AttributeValue>;

/** Arrays and kvlists nest; deeper than this a body is refused (no real attribute comes close). */
export const MAX_VALUE_DEPTH = 32;

/**
 * AnyValue → JavaScript. An AnyValue with no value set (allowed by the spec) is undefined.
 * The reader is narrowed to the AnyValue's bytes.
 */
export function readAnyValue(r: WireReader, depth: number): AttributeValue | undefined {
  if (depth > MAX_VALUE_DEPTH)
    throw new OtlpDecodeError(`attribute values nest deeper than ${MAX_VALUE_DEPTH} levels`);
  let value: AttributeValue | undefined;
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1: {
        r.expect(tag, WIRE_LEN, 'string_value');
        const end = r.len();
        value = shortStrings.get(r.buf, r.pos, end);
        r.pos = end;
        break;
      }
      case 2:
        r.expect(tag, WIRE_VARINT, 'bool_value');
        value = r.bool();
        break;
      case 3:
        r.expect(tag, WIRE_VARINT, 'int_value');
        value = r.int();
        break;
      case 4:
        r.expect(tag, WIRE_FIXED64, 'double_value');
        value = r.double();
        break;
      case 5: {
        r.expect(tag, WIRE_LEN, 'array_value');
        const outer = r.enter();
        value = readArray(r, depth + 1);
        r.leave(outer);
        break;
      }
      case 6: {
        r.expect(tag, WIRE_LEN, 'kvlist_value');
        const outer = r.enter();
        value = readKvList(r, depth + 1);
        r.leave(outer);
        break;
      }
      case 7: {
        r.expect(tag, WIRE_LEN, 'bytes_value');
        const end = r.len();
        // A copy: a view would keep the whole request body alive.
        value = Uint8Array.prototype.slice.call(r.buf, r.pos, end);
        r.pos = end;
        break;
      }
      default:
        r.skip(tag);
    }
  }
  if (value !== undefined) r.values++;
  return value;
}

function readArray(r: WireReader, depth: number): AttributeValue[] {
  const out: AttributeValue[] = [];
  let i = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 !== 1) {
      r.skip(tag);
      continue;
    }
    try {
      r.expect(tag, WIRE_LEN, 'values');
      const outer = r.enter();
      const v = readAnyValue(r, depth);
      r.leave(outer);
      if (v !== undefined) out.push(v);
      r.checkLimit();
    } catch (e) {
      locate(e, `values[${i}]`);
    }
    i++;
  }
  return out;
}

function readKvList(r: WireReader, depth: number): { [key: string]: AttributeValue } {
  const out: { [key: string]: AttributeValue } = {};
  readAttributes(r, KeyFilter.everything(), out, depth, 'values');
  return out;
}

/**
 * The KeyValue layout every encoder writes — key (field 1) then value (field 2), lengths
 * of one or two bytes, nothing else — read without the general loop, with string and
 * small int values read directly. False, with nothing consumed, for any other layout.
 */
function readCanonical(
  r: WireReader,
  filter: KeyFilter,
  into: Attributes,
  field: string,
  index: number,
): boolean {
  const buf = r.buf;
  const n = shortLength(buf, r.pos, r.end);
  if (n < 0) return false;
  const kv = lengthEnd;
  const end = kv + n;
  if (end > r.end || buf[kv] !== 0x0a) return false;
  const k = shortLength(buf, kv + 1, end);
  const keyStart = lengthEnd;
  const keyEnd = keyStart + k;
  if (k < 0 || keyEnd >= end || buf[keyEnd] !== 0x12) return false;
  const v = shortLength(buf, keyEnd + 1, end);
  const valueStart = lengthEnd;
  if (v < 0 || valueStart + v !== end) return false;
  r.pos = end;
  const key = filter.match(buf, keyStart, keyEnd);
  // The one key that would reach an object's prototype instead of the object.
  if (key === undefined || key === '__proto__' || v === 0) return true;
  const t = buf[valueStart];
  if (t === 0x0a) {
    const sn = shortLength(buf, valueStart + 1, end);
    if (sn >= 0 && lengthEnd + sn === end) {
      into[key] = shortStrings.get(buf, lengthEnd, end);
      r.values++;
      return true;
    }
  } else if (t === 0x18 && v <= 5) {
    // int_value below 2^28 (four varint bytes).
    let x = 0;
    let q = valueStart + 1;
    for (let shift = 0; q < end; shift += 7) {
      const b = buf[q++]!;
      x |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    if (q === end && buf[end - 1]! < 0x80) {
      into[key] = x;
      r.values++;
      return true;
    }
  }
  const outer = r.end;
  r.pos = valueStart;
  r.end = end;
  let value: AttributeValue | undefined;
  try {
    value = readAnyValue(r, 0);
  } catch (e) {
    locate(e, `${field}[${index}].${key}`);
  }
  r.pos = end;
  r.end = outer;
  if (value !== undefined) into[key] = value;
  return true;
}

/**
 * readCanonical for the attributes of a span, in one function with no calls on the usual
 * path (a skipped key, a kept string or small int): `at` is just past the attribute's tag.
 * Returns where the KeyValue ends once it is fully handled, else -1 with nothing consumed
 * (another layout, a long length, or a kept value of another type), for readAttribute.
 */
export function readSimpleAttribute(r: WireReader, at: number, filter: KeyFilter, into: Attributes): number {
  const buf = r.buf;
  const limit = r.end;
  if (at + 4 > limit) return -1;
  let p = at;
  let n = buf[p++]!;
  if (n >= 0x80) {
    const b = buf[p++]!;
    if (b >= 0x80) return -1;
    n = (n & 0x7f) | (b << 7);
  }
  const end = p + n;
  if (end > limit || buf[p] !== 0x0a) return -1;
  const k = buf[p + 1]!;
  const keyStart = p + 2;
  const keyEnd = keyStart + k;
  // Keys of 128 bytes or more (a two-byte length) take the general path.
  if (k >= 0x80 || keyEnd + 1 >= end || buf[keyEnd] !== 0x12) return -1;
  let valueStart = keyEnd + 2;
  let v = buf[keyEnd + 1]!;
  if (v >= 0x80) {
    const b = buf[valueStart++]!;
    if (b >= 0x80) return -1;
    v = (v & 0x7f) | (b << 7);
  }
  if (valueStart + v !== end) return -1;
  const key = filter.match(buf, keyStart, keyEnd);
  // The one key that would reach an object's prototype instead of the object.
  if (key === undefined || key === '__proto__' || v === 0) return end;
  const t = buf[valueStart];
  if (t === 0x0a) {
    const sn = buf[valueStart + 1]!;
    if (sn < 0x80 && valueStart + 2 + sn === end) {
      into[key] = shortStrings.get(buf, valueStart + 2, end);
      r.values++;
      return end;
    }
  } else if (t === 0x18 && v <= 5) {
    // int_value below 2^28 (four varint bytes).
    let x = 0;
    let q = valueStart + 1;
    for (let shift = 0; q < end; shift += 7) {
      const b = buf[q++]!;
      x |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    if (q === end && buf[end - 1]! < 0x80) {
      into[key] = x;
      r.values++;
      return end;
    }
  }
  return -1;
}

/** Where the bytes after the last shortLength() start. */
let lengthEnd = 0;

/** A length of one or two varint bytes at buf[at] that fits before `end`, else -1. */
function shortLength(buf: Buffer, at: number, end: number): number {
  if (at >= end) return -1;
  const b0 = buf[at]!;
  if (b0 < 0x80) {
    lengthEnd = at + 1;
    return b0;
  }
  if (at + 1 >= end) return -1;
  const b1 = buf[at + 1]!;
  if (b1 >= 0x80) return -1;
  lengthEnd = at + 2;
  return (b0 & 0x7f) | (b1 << 7);
}

/**
 * Reads one KeyValue (the reader narrowed to it) into `into` when the filter wants its
 * key. Key and value may come in either order on the wire. Returns true when kept.
 */
function readKeyValue(r: WireReader, filter: KeyFilter, into: Attributes, depth: number): boolean {
  let keyStart = -1;
  let keyEnd = -1;
  let valueStart = -1;
  let valueEnd = -1;
  while (r.pos < r.end) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (field === 1) {
      r.expect(tag, WIRE_LEN, 'key');
      keyEnd = r.len();
      keyStart = r.pos;
      r.pos = keyEnd;
    } else if (field === 2) {
      r.expect(tag, WIRE_LEN, 'value');
      valueEnd = r.len();
      valueStart = r.pos;
      r.pos = valueEnd;
    } else r.skip(tag);
  }
  if (keyStart < 0 || valueStart < 0) return false;
  const key = filter.match(r.buf, keyStart, keyEnd);
  // The one key that would reach an object's prototype instead of the object.
  if (key === undefined || key === '__proto__') return false;
  const end = r.end;
  const pos = r.pos;
  r.pos = valueStart;
  r.end = valueEnd;
  let value: AttributeValue | undefined;
  try {
    value = readAnyValue(r, depth);
  } catch (e) {
    locate(e, `${key}`);
  }
  r.pos = pos;
  r.end = end;
  if (value === undefined) return false;
  into[key] = value;
  return true;
}

/**
 * Reads one element of a repeated KeyValue field (its tag just read) into `into`.
 * `field` and `index` name it in error messages.
 */
export function readAttribute(
  r: WireReader,
  tag: number,
  filter: KeyFilter,
  into: Attributes,
  field: string,
  index: number,
): void {
  if ((tag & 7) === WIRE_LEN && readCanonical(r, filter, into, field, index)) return;
  try {
    r.expect(tag, WIRE_LEN, field);
    const outer = r.enter();
    readKeyValue(r, filter, into, 0);
    r.leave(outer);
  } catch (e) {
    locate(e, `${field}[${index}]`);
  }
}

/** Reads every field of a message made only of repeated KeyValue `field` 1 (a KeyValueList). */
function readAttributes(
  r: WireReader,
  filter: KeyFilter,
  into: Attributes,
  depth: number,
  field: string,
): void {
  let i = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 !== 1) {
      r.skip(tag);
      continue;
    }
    try {
      r.expect(tag, WIRE_LEN, field);
      const outer = r.enter();
      readKeyValue(r, filter, into, depth);
      r.leave(outer);
      r.checkLimit();
    } catch (e) {
      locate(e, `${field}[${i}]`);
    }
    i++;
  }
}
