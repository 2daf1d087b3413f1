import type { IncomingMessage } from 'node:http';
import { ApiError } from './errors.ts';

/**
 * Reads a JSON request body without body-parser: check the media type, refuse anything
 * over the size limit (by Content-Length before reading, and while reading when the
 * length was not announced), parse once. `undefined` when the request has no body, so
 * the route's schema decides whether one was required.
 */

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const CHARSET = /;\s*charset\s*=\s*"?([\w-]+)"?/i;

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(
    413,
    'payload_too_large',
    `request body is larger than the limit of ${maxBytes} bytes`,
    {
      // The rest of an oversized body is not read: the connection cannot be reused.
      headers: { connection: 'close' },
    },
  );
}

function checkType(req: IncomingMessage): void {
  const type = req.headers['content-type'];
  if (type === undefined || !JSON_TYPE.test(type))
    throw new ApiError(
      415,
      'unsupported_media_type',
      `request bodies must be application/json${type === undefined ? ' (no Content-Type was sent)' : `, got ${type}`}`,
    );
  const charset = CHARSET.exec(type)?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
    throw new ApiError(415, 'unsupported_media_type', `JSON bodies must be UTF-8, got charset ${charset}`);
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity')
    throw new ApiError(415, 'unsupported_media_type', `Content-Encoding ${encoding} is not accepted here`);
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, 'malformed_json', `request body is not valid JSON: ${(error as Error).message}`);
  }
}

export function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  if (!hasBody(req)) return Promise.resolve(undefined);
  try {
    checkType(req);
  } catch (error) {
    return Promise.reject(error);
  }
  const announced = Number(req.headers['content-length']);
  if (announced > maxBytes) return Promise.reject(tooLarge(maxBytes));
  return new Promise((resolve, reject) => {
    let first: Buffer | undefined;
    let chunks: Buffer[] | undefined;
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        req.off('end', onEnd);
        reject(tooLarge(maxBytes));
        return;
      }
      if (first === undefined) first = chunk;
      else (chunks ??= [first]).push(chunk);
    };
    const onEnd = () => {
      const body = chunks ? Buffer.concat(chunks, size) : first;
      if (body === undefined || size === 0) {
        resolve(undefined);
        return;
      }
      try {
        resolve(parseJsonText(body.toString('utf8')));
      } catch (error) {
        reject(error);
      }
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
  });
}
