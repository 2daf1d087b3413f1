/**
 * A bounds-checked reader of the protobuf wire format, for the OTLP decoders. It reads in
 * place (no copies, no per-field objects) and refuses anything malformed with an
 * OtlpDecodeError: truncated fields, lengths past their enclosing message, varints longer
 * than 10 bytes or overflowing 64 bits, field number 0, and the group / reserved wire
 * types OTLP never uses. The decoders turn that error into a 400 answer.
 *
 * Nested messages are read by narrowing `end` to the message's length (`enter`) and
 * restoring it afterwards (`leave`), so no read can run past the message it belongs to.
 */

import { utf8 } from './key-filter.ts';

/** What was wrong with a body, and where (`resource_spans[0].scope_spans[1]…: reason`). */
export class OtlpDecodeError extends Error {
  readonly reason: string;
  readonly path: string[] = [];

  constructor(reason: string) {
    super(reason);
    this.name = 'OtlpDecodeError';
    this.reason = reason;
  }

  /** Adds the location of the enclosing field (called from the innermost outwards). */
  within(location: string): this {
    this.path.unshift(location);
    this.message = `${this.path.join('.')}: ${this.reason}`;
    return this;
  }
}

/** Adds `location` to a decode error passing through; anything else is rethrown as is. */
export function locate(error: unknown, location: string): never {
  if (error instanceof OtlpDecodeError) throw error.within(location);
  throw error;
}

/**
 * Thrown (one shared instance: no stack to capture) when the item being read has read more
 * attribute values than otlp.maxAttributes; the item's reader catches it, skips the rest of
 * the item and hands it on marked, to be rejected.
 */
export class AttributeLimitExceeded extends Error {}
export const OVER_LIMIT = new AttributeLimitExceeded('too many attribute values');

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

const WIRE_NAMES = ['varint', 'fixed64', 'length-delimited', 'group start', 'group end', 'fixed32'];
const TWO_32 = 4294967296;

function truncated(): OtlpDecodeError {
  return new OtlpDecodeError('truncated: the message ends inside a field');
}

export class WireReader {
  readonly buf: Buffer;
  pos = 0;
  /** End of the message being read (exclusive). */
  end: number;
  /**
   * Attribute values made into JavaScript so far (one per kept attribute, one per element of
   * an array or kvlist value): the receiver's attribute limit and memory accounting read it.
   */
  values = 0;
  /** Most values one span, data point or resource may read (otlp.maxAttributes). */
  maxAttributes = Infinity;
  /** The count of `values` past which the item being read is over its limit. */
  #valueLimit = Infinity;
  /** Low and high 32 bits of the last varint64 read. */
  #lo = 0;
  #hi = 0;

  constructor(buf: Buffer) {
    this.buf = buf;
    this.end = buf.length;
  }

  /** Starts an item (span, data point, resource): returns `values` so far. */
  startItem(): number {
    this.#valueLimit = this.values + this.maxAttributes;
    return this.values;
  }

  /** Stops the item being read once it has read more values than it may. */
  checkLimit(): void {
    if (this.values > this.#valueLimit) throw OVER_LIMIT;
  }

  /** A field's tag: `fieldNumber << 3 | wireType`. */
  tag(): number {
    const pos = this.pos;
    let tag: number;
    if (pos < this.end && this.buf[pos]! < 0x80) {
      tag = this.buf[pos]!;
      this.pos = pos + 1;
    } else {
      this.#varint64();
      if (this.#hi !== 0) throw new OtlpDecodeError('field tag does not fit in 32 bits');
      tag = this.#lo;
    }
    if (tag >>> 3 === 0) throw new OtlpDecodeError('field number 0 is not valid');
    const wt = tag & 7;
    if (wt !== WIRE_VARINT && wt !== WIRE_FIXED64 && wt !== WIRE_LEN && wt !== WIRE_FIXED32)
      throw new OtlpDecodeError(
        `field ${tag >>> 3}: wire type ${wt} (${WIRE_NAMES[wt] ?? 'reserved'}) is not used by OTLP`,
      );
    return tag;
  }

  /** Fails unless the field has the wire type its definition gives. */
  expect(tag: number, wireType: number, name: string): void {
    if ((tag & 7) !== wireType)
      throw new OtlpDecodeError(
        `${name} (field ${tag >>> 3}) has wire type ${WIRE_NAMES[tag & 7]}, expected ${WIRE_NAMES[wireType]}`,
      );
  }

  #varint64(): void {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    let lo = 0;
    let b: number;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= end) throw truncated();
      b = buf[pos++]!;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        this.#lo = lo >>> 0;
        this.#hi = 0;
        return;
      }
    }
    if (pos >= end) throw truncated();
    b = buf[pos++]!;
    lo |= (b & 0x0f) << 28;
    let hi = (b & 0x7f) >> 4;
    if (b < 0x80) {
      this.pos = pos;
      this.#lo = lo >>> 0;
      this.#hi = hi;
      return;
    }
    for (let shift = 3; shift < 32; shift += 7) {
      if (pos >= end) throw truncated();
      b = buf[pos++]!;
      // The 10th byte holds only bit 63.
      if (shift === 31 && b > 1) throw new OtlpDecodeError('varint overflows 64 bits');
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        this.#lo = lo >>> 0;
        this.#hi = hi >>> 0;
        return;
      }
    }
    throw new OtlpDecodeError('varint longer than 10 bytes');
  }

  /** uint64 / uint32 / enum-as-unsigned (exact up to 2^53). */
  uint(): number {
    const pos = this.pos;
    if (pos < this.end && this.buf[pos]! < 0x80) {
      this.pos = pos + 1;
      return this.buf[pos]!;
    }
    this.#varint64();
    return this.#hi * TWO_32 + this.#lo;
  }

  /** int64 / int32 / enum, two's complement (exact within ±2^53). */
  int(): number {
    const pos = this.pos;
    if (pos < this.end && this.buf[pos]! < 0x80) {
      this.pos = pos + 1;
      return this.buf[pos]!;
    }
    this.#varint64();
    return (this.#hi | 0) * TWO_32 + this.#lo;
  }

  bool(): boolean {
    return this.uint() !== 0;
  }

  /** fixed64 as an unsigned number (nanosecond timestamps: exact to ±256 ns today). */
  fixed64(): number {
    const pos = this.pos;
    if (pos + 8 > this.end) throw truncated();
    const b = this.buf;
    const lo = (b[pos]! | (b[pos + 1]! << 8) | (b[pos + 2]! << 16) | (b[pos + 3]! << 24)) >>> 0;
    const hi = (b[pos + 4]! | (b[pos + 5]! << 8) | (b[pos + 6]! << 16) | (b[pos + 7]! << 24)) >>> 0;
    this.pos = pos + 8;
    return hi * TWO_32 + lo;
  }

  double(): number {
    const pos = this.pos;
    if (pos + 8 > this.end) throw truncated();
    this.pos = pos + 8;
    return this.buf.readDoubleLE(pos);
  }

  /** Reads a length prefix; returns where the field's bytes end. `pos` is at their start. */
  len(): number {
    const n = this.uint();
    if (n > this.end - this.pos)
      throw new OtlpDecodeError(
        `length ${n} runs past the end of its message (${this.end - this.pos} bytes left)`,
      );
    return this.pos + n;
  }

  /** Narrows reading to a length-delimited field; returns the end to restore with leave(). */
  enter(): number {
    const outer = this.end;
    this.end = this.len();
    return outer;
  }

  leave(outer: number): void {
    this.pos = this.end;
    this.end = outer;
  }

  string(): string {
    const end = this.len();
    const start = this.pos;
    this.pos = end;
    return utf8(this.buf, start, end);
  }

  /** Skips a field's value without decoding it. */
  skip(tag: number): void {
    switch (tag & 7) {
      case WIRE_VARINT: {
        const end = this.end;
        const buf = this.buf;
        for (let i = 0; i < 10; i++) {
          if (this.pos >= end) throw truncated();
          if (buf[this.pos++]! < 0x80) return;
        }
        throw new OtlpDecodeError('varint longer than 10 bytes');
      }
      case WIRE_FIXED64:
        if (this.pos + 8 > this.end) throw truncated();
        this.pos += 8;
        return;
      case WIRE_LEN:
        this.pos = this.len();
        return;
      case WIRE_FIXED32:
        if (this.pos + 4 > this.end) throw truncated();
        this.pos += 4;
        return;
    }
  }
}
