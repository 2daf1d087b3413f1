const CHUNK_BYTES = 256 * 1024;

/**
 * Collects the exposition as bytes. Series prefixes are kept UTF-8 encoded, so a scrape
 * copies them with memcpy and writes only the numbers: no megabyte string is built, joined
 * and encoded again on the way out (that alone cost more than rendering at 10k series).
 */
export class ExpositionWriter {
  readonly #chunks: Buffer[] = [];
  #buf = Buffer.allocUnsafe(CHUNK_BYTES);
  #pos = 0;

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    this.#chunks.push(this.#buf.subarray(0, this.#pos));
    this.#buf = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, n));
    this.#pos = 0;
  }

  bytes(b: Buffer): void {
    this.#room(b.length);
    this.#buf.set(b, this.#pos);
    this.#pos += b.length;
  }

  /** A short ASCII string (a number, a newline). */
  ascii(s: string): void {
    this.#room(s.length);
    this.#pos += this.#buf.write(s, this.#pos, 'latin1');
  }

  newline(): void {
    this.#room(1);
    this.#buf[this.#pos++] = 10;
  }

  text(s: string): void {
    this.bytes(Buffer.from(s, 'utf8'));
  }

  /** The exposition as chunks, written to the response one after another (no big copy). */
  finish(): Buffer[] {
    this.#chunks.push(this.#buf.subarray(0, this.#pos));
    return this.#chunks;
  }
}
