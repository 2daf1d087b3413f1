import {
  locate,
  OtlpDecodeError,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
  type WireReader,
} from './wire-reader.ts';

/**
 * OTLP attributes (KeyValue / AnyValue, common.proto) read into plain objects. Only the
 * keys a KeyFilter wants are decoded: for every other attribute the key is compared
 * in place, byte by byte, and its value skipped by length, so a span full of HTTP or
 * database attributes costs no strings at all.
 */

/** An attribute value as JavaScript: AnyValue's string, bool, int, double, array, kvlist or bytes. */
export type AttributeValue =
  string | boolean | number | Uint8Array | AttributeValue[] | { [key: string]: AttributeValue };
export type Attributes = Record<string, AttributeValue>;

/** Arrays and kvlists nest; deeper than this a body is refused (no real attribute comes close). */
export const MAX_VALUE_DEPTH = 32;

/** Attribute keys wanted: exact names and prefixes, matched against UTF-8 bytes in place. */
export class KeyFilter {
  /** Everything is wanted (metric points, whose every attribute names their series). */
  readonly all: boolean;
  readonly #first = new Uint8Array(256);
  readonly #prefixes: Buffer[];
  readonly #exact = new Map<number, Buffer[]>();

  readonly #prefixStrings: string[];
  readonly #exactStrings: Set<string>;

  constructor(exact: Iterable<string>, prefixes: Iterable<string> = [], all = false) {
    this.all = all;
    this.#prefixStrings = [...prefixes].filter((p) => p.length > 0);
    this.#exactStrings = new Set(exact);
    this.#prefixes = this.#prefixStrings.map((p) => Buffer.from(p, 'utf8'));
    for (const p of this.#prefixes) this.#first[p[0]!] = 1;
    for (const k of this.#exactStrings) {
      const b = Buffer.from(k, 'utf8');
      if (b.length === 0) continue;
      this.#first[b[0]!] = 1;
      const list = this.#exact.get(b.length) ?? [];
      list.push(b);
      this.#exact.set(b.length, list);
    }
  }

  static everything(): KeyFilter {
    return new KeyFilter([], [], true);
  }

  /** `wants` for a key already decoded (OTLP/JSON). */
  has(key: string): boolean {
    if (this.all) return true;
    for (const p of this.#prefixStrings) if (key.startsWith(p)) return true;
    return this.#exactStrings.has(key);
  }

  wants(buf: Buffer, start: number, end: number): boolean {
    if (this.all) return true;
    if (start === end || this.#first[buf[start]!] === 0) return false;
    const n = end - start;
    for (const p of this.#prefixes) if (p.length <= n && same(buf, start, p)) return true;
    const exact = this.#exact.get(n);
    if (exact) for (const k of exact) if (same(buf, start, k)) return true;
    return false;
  }
}

function same(buf: Buffer, start: number, key: Buffer): boolean {
  for (let i = 0; i < key.length; i++) if (buf[start + i] !== key[i]) return false;
  return true;
}

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
      case 1:
        r.expect(tag, WIRE_LEN, 'string_value');
        value = r.string();
        break;
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
  if (keyStart < 0 || valueStart < 0 || !filter.wants(r.buf, keyStart, keyEnd)) return false;
  const key = r.buf.toString('utf8', keyStart, keyEnd);
  // The one key that would reach an object's prototype instead of the object.
  if (key === '__proto__') return false;
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
    } catch (e) {
      locate(e, `${field}[${i}]`);
    }
    i++;
  }
}
