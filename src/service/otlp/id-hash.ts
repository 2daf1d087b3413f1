/**
 * DecodedSpan.spanHash / parentHash: a 31-bit hash of an 8-byte span id, the same whether
 * the id came as bytes (the wire walk) or as hex (OTLP/JSON), so both decoders hand on
 * the same spans. The nested-call check finds parents by it (see nested-calls.ts).
 */

/** The hash of the 8-byte id at buf[at]. */
export function idHash(buf: Uint8Array, at: number): number {
  const lo = buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24);
  const hi = buf[at + 4]! | (buf[at + 5]! << 8) | (buf[at + 6]! << 16) | (buf[at + 7]! << 24);
  const h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  return (h ^ (h >>> 15)) >>> 1;
}

const HEX_ID = /^[0-9a-f]{16}$/;

/** The hash of a lower-case hex id of 8 bytes; -1 for anything else. */
export function hexIdHash(id: string): number {
  return HEX_ID.test(id) ? idHash(Buffer.from(id, 'hex'), 0) : -1;
}
