/**
 * Attribute keys wanted by the decoders, matched against the key's UTF-8 bytes in place,
 * and the decoding of short strings. Both stay in JavaScript: a native Buffer slice call
 * costs more than comparing a few dozen bytes, and keys and most values (model, provider,
 * operation, label values) repeat from span to span, so a span costs no key strings and
 * few value strings.
 */

type SliceBuffer = Buffer & {
  utf8Slice?: (start: number, end: number) => string;
  hexSlice?: (start: number, end: number) => string;
};

/** Buffer#utf8Slice skips toString's argument handling; toString where it is missing. */
export function utf8(buf: Buffer, start: number, end: number): string {
  const b = buf as SliceBuffer;
  return b.utf8Slice ? b.utf8Slice(start, end) : buf.toString('utf8', start, end);
}

export function hex(buf: Buffer, start: number, end: number): string {
  const b = buf as SliceBuffer;
  return b.hexSlice ? b.hexSlice(start, end) : buf.toString('hex', start, end);
}

/**
 * A DataView of the buffer being decoded, to read its bytes four at a time (one load in
 * optimized code instead of four): keys and values are compared and hashed by words.
 */
let viewOf: Buffer | undefined;
const NO_VIEW = new DataView(new ArrayBuffer(0));
let view: DataView<ArrayBufferLike> = NO_VIEW;

/** Lets go of the last body (the decoders call it when done: a body must not outlive its request). */
export function releaseView(): void {
  viewOf = undefined;
  view = NO_VIEW;
}

function viewFor(buf: Buffer): DataView {
  if (buf !== viewOf) {
    view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    viewOf = buf;
  }
  return view;
}

/** A name's bytes as little-endian 32-bit words (the last one zero-padded), for word compares. */
function wordsOf(bytes: Uint8Array): Int32Array {
  const padded = new Uint8Array((bytes.length + 3) & ~3);
  padded.set(bytes);
  return new Int32Array(padded.buffer);
}

/** True when buf[start, start + bytes.length) holds `bytes` (whose words are `words`). */
function same(buf: Buffer, start: number, e: Entry): boolean {
  const n = e.length;
  const bytes = e.bytes;
  const words = e.words;
  const whole = n >> 2;
  const v = viewFor(buf);
  // Compared from the last word: names sharing a namespace differ at their end.
  for (let w = whole - 1; w >= 0; w--) if (v.getInt32(start + (w << 2), true) !== words[w]) return false;
  for (let i = whole << 2; i < n; i++) if (buf[start + i] !== bytes[i]) return false;
  return true;
}

/** Hash of buf[start, end) read by words; the length is mixed in. */
function hash(buf: Buffer, start: number, end: number): number {
  const n = end - start;
  const v = viewFor(buf);
  let h = Math.imul(0x811c9dc5 ^ n, 0x01000193);
  let i = start;
  for (; i + 4 <= end; i += 4) h = Math.imul(h ^ v.getInt32(i, true), 0x9e3779b1) ^ (h >>> 15);
  for (; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h ^ (h >>> 16);
}

/**
 * A cheap fingerprint of a name: its length and a few of its last bytes. Candidates with
 * the same fingerprint are then compared in full.
 */
function fingerprint(buf: Uint8Array, start: number, end: number): number {
  const n = end - start;
  if (n < 6) return n;
  return (
    (n << 24) ^ (buf[end - 1]! << 16) ^ (buf[end - 3]! << 8) ^ buf[end - 6]! ^ (buf[start + (n >> 1)]! << 4)
  );
}

interface Entry {
  /** bytes.length, as a plain field (read before every compare). */
  length: number;
  bytes: Uint8Array;
  words: Int32Array;
  value: string;
}

function entry(bytes: Uint8Array, value: string): Entry {
  return { length: bytes.length, bytes, words: wordsOf(bytes), value };
}

/** Strings up to this many bytes are remembered; longer ones are decoded each time. */
const MAX_SHORT = 40;
/** Slots of the string table (a power of two): direct-mapped, so its memory is fixed. */
const STRING_SLOTS = 4096;
const TABLE_MASK = 1023;

/**
 * Recently decoded short strings by content: one entry per slot, a newer string taking
 * the slot of an older one with the same hash bits (bounded; no clearing pass).
 */
class StringTable {
  readonly #slots: (Entry | undefined)[] = new Array<Entry | undefined>(STRING_SLOTS).fill(undefined);

  get(buf: Buffer, start: number, end: number): string {
    const n = end - start;
    if (n > MAX_SHORT) return utf8(buf, start, end);
    const slot = hash(buf, start, end) & (STRING_SLOTS - 1);
    const e = this.#slots[slot];
    if (e !== undefined && e.length === n && same(buf, start, e)) return e.value;
    const value = utf8(buf, start, end);
    this.#slots[slot] = entry(Uint8Array.prototype.slice.call(buf, start, end), value);
    return value;
  }
}

/** Shared by every decoder (JavaScript runs them one at a time). */
export const shortStrings = new StringTable();

export class KeyFilter {
  /** Everything is wanted (metric points, whose every attribute names their series). */
  readonly all: boolean;
  /** First bytes of wanted keys: most unwanted keys stop here. */
  readonly #first = new Uint8Array(256);
  /** Wanted names by fingerprint bucket (TABLE_MASK + 1 buckets: an array index beats a Map). */
  readonly #exact: (Entry[] | undefined)[] = new Array<Entry[] | undefined>(TABLE_MASK + 1).fill(undefined);
  readonly #prefixes: Uint8Array[];
  readonly #prefixNames: string[];
  readonly #names: Set<string>;

  constructor(exact: Iterable<string>, prefixes: Iterable<string> = [], all = false) {
    this.all = all;
    this.#names = new Set([...exact].filter((k) => k.length > 0));
    this.#prefixNames = [...prefixes].filter((p) => p.length > 0);
    this.#prefixes = this.#prefixNames.map((p) => Buffer.from(p, 'utf8'));
    for (const p of this.#prefixes) this.#first[p[0]!] = 1;
    for (const value of this.#names) {
      const bytes = Buffer.from(value, 'utf8');
      this.#first[bytes[0]!] = 1;
      const f = fingerprint(bytes, 0, bytes.length) & TABLE_MASK;
      (this.#exact[f] ??= []).push(entry(bytes, value));
    }
  }

  static everything(): KeyFilter {
    return new KeyFilter([], [], true);
  }

  /** For a key already decoded (OTLP/JSON). */
  has(key: string): boolean {
    if (this.all) return true;
    for (const p of this.#prefixNames) if (key.startsWith(p)) return true;
    return this.#names.has(key);
  }

  /** The key at buf[start, end) when wanted, else undefined. */
  match(buf: Buffer, start: number, end: number): string | undefined {
    if (this.all) return shortStrings.get(buf, start, end);
    const n = end - start;
    if (n === 0 || this.#first[buf[start]!] === 0) return undefined;
    const list = this.#exact[fingerprint(buf, start, end) & TABLE_MASK];
    if (list !== undefined)
      for (let i = 0; i < list.length; i++) {
        const e = list[i]!;
        if (e.length === n && same(buf, start, e)) return e.value;
      }
    const prefixes = this.#prefixes;
    for (let j = 0; j < prefixes.length; j++) {
      const p = prefixes[j]!;
      const pn = p.length;
      if (pn > n) continue;
      let i = 0;
      while (i < pn && buf[start + i] === p[i]) i++;
      if (i === pn) return shortStrings.get(buf, start, end);
    }
    return undefined;
  }
}
