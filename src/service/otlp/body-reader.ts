import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';

const gunzip = promisify(gunzipCallback);

/**
 * Request bodies under two limits: the size of one body (413: checked on the declared
 * Content-Length, on the bytes as they arrive, and on the inflated size — inflation stops
 * at the limit, so a zip bomb costs at most the limit), and the bytes of all requests
 * being read, decoded or committed at once (429 under backpressure).
 */

/** Why a body was not read: the status to answer, or 0 when the client went away. */
export class BodyError extends Error {
  readonly status: 0 | 400 | 413 | 429;
  constructor(status: 0 | 400 | 413 | 429, message: string) {
    super(message);
    this.name = 'BodyError';
    this.status = status;
  }
}

/** Bytes held by requests in progress. One request is always let in, whatever its size. */
export class InFlightBytes {
  readonly max: number;
  #used = 0;

  constructor(max: number) {
    this.max = max;
  }

  get used(): number {
    return this.#used;
  }

  tryTake(n: number): boolean {
    if (this.#used > 0 && this.#used + n > this.max) return false;
    this.#used += n;
    return true;
  }

  /** Counts bytes that are held already (an inflated body), limit or not. */
  take(n: number): void {
    this.#used += n;
  }

  release(n: number): void {
    this.#used -= n;
  }
}

export interface BodyLimits {
  maxBytes: number;
  inFlight: InFlightBytes;
  gzip: boolean;
}

/** A read body and the in-flight bytes it holds (release them when answered). */
export interface Body {
  bytes: Buffer;
  held: number;
}

function tooLarge(max: number, what: string): BodyError {
  return new BodyError(413, `${what} exceeds the limit of ${max} bytes (otlp.maxBodyBytes)`);
}

function busy(): BodyError {
  return new BodyError(429, 'too many request bytes in flight; retry later');
}

/**
 * Reads the whole body. On failure every byte it held is already released; on success the
 * caller releases `held` once it has answered.
 */
export async function readBody(req: IncomingMessage, limits: BodyLimits): Promise<Body> {
  const { maxBytes, inFlight } = limits;
  const header = req.headers['content-length'];
  const declared = header === undefined ? undefined : Number(header);
  if (declared !== undefined && declared > maxBytes) throw tooLarge(maxBytes, 'the request body');
  let held = 0;
  if (declared !== undefined) {
    if (!inFlight.tryTake(declared)) throw busy();
    held = declared;
  }
  let raw: Buffer;
  try {
    raw = await collect(req, maxBytes, (n) => {
      if (declared !== undefined) return true;
      if (!inFlight.tryTake(n)) return false;
      held += n;
      return true;
    });
  } catch (e) {
    inFlight.release(held);
    throw e;
  }
  if (!limits.gzip) return { bytes: raw, held };
  try {
    const bytes = await gunzip(raw, { maxOutputLength: maxBytes });
    inFlight.take(bytes.length);
    return { bytes, held: held + bytes.length };
  } catch (e) {
    inFlight.release(held);
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      throw tooLarge(maxBytes, 'the inflated body');
    throw new BodyError(400, `body is not valid gzip: ${(e as Error).message}`);
  }
}

function collect(req: IncomingMessage, maxBytes: number, take: (n: number) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error?: BodyError) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onClose);
      if (error) {
        // Whatever else the client sends is read and dropped; the answer closes the connection.
        req.resume();
        reject(error);
      } else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) return finish(tooLarge(maxBytes, 'the request body'));
      if (!take(chunk.length)) return finish(busy());
      chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onGone = () => finish(new BodyError(0, 'the client closed the request'));
    const onClose = () => {
      if (!req.complete) onGone();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onClose);
  });
}
