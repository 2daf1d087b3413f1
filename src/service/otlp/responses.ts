import type { ServerResponse } from 'node:http';

/**
 * OTLP/HTTP answers, in the encoding of the request (OTLP spec: the response uses the
 * request's Content-Type): ExportTrace/MetricsServiceResponse on success, with
 * partial_success when items were rejected; google.rpc.Status for failures.
 *
 *   Export*ServiceResponse   1 partial_success
 *   Export*PartialSuccess    1 rejected_spans | rejected_data_points (int64), 2 error_message
 *   google.rpc.Status        1 code (int32), 2 message
 */

export type Encoding = 'protobuf' | 'json';
export type OtlpSignal = 'traces' | 'metrics';

export const CONTENT_TYPE: Record<Encoding, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

/** google.rpc.Code values used in Status bodies. */
export const RPC_CODE = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

function varint(out: number[], n: number): void {
  while (n > 0x7f) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
}

function field(out: number[], fieldNumber: number, wireType: number): void {
  varint(out, (fieldNumber << 3) | wireType);
}

function bytesField(out: number[], fieldNumber: number, bytes: Uint8Array | number[]): void {
  field(out, fieldNumber, 2);
  varint(out, bytes.length);
  for (const b of bytes) out.push(b);
}

function protoStatus(code: number, message: string): Buffer {
  const out: number[] = [];
  if (code !== 0) {
    field(out, 1, 0);
    varint(out, code);
  }
  if (message) bytesField(out, 2, Buffer.from(message, 'utf8'));
  return Buffer.from(out);
}

/** The success body: empty when nothing was rejected and there is nothing to say. */
export function successBody(
  signal: OtlpSignal,
  encoding: Encoding,
  rejected: number,
  message: string,
): Buffer {
  if (encoding === 'json') {
    if (rejected === 0 && !message) return Buffer.from('{}');
    const count = signal === 'traces' ? 'rejectedSpans' : 'rejectedDataPoints';
    // int64 is a decimal string in the protobuf JSON mapping.
    return Buffer.from(
      JSON.stringify({ partialSuccess: { [count]: String(rejected), errorMessage: message } }),
    );
  }
  if (rejected === 0 && !message) return Buffer.alloc(0);
  const partial: number[] = [];
  if (rejected > 0) {
    field(partial, 1, 0);
    varint(partial, rejected);
  }
  if (message) bytesField(partial, 2, Buffer.from(message, 'utf8'));
  const out: number[] = [];
  bytesField(out, 1, partial);
  return Buffer.from(out);
}

export function statusBody(encoding: Encoding, code: number, message: string): Buffer {
  return encoding === 'json' ? Buffer.from(JSON.stringify({ code, message })) : protoStatus(code, message);
}

export function send(
  res: ServerResponse,
  status: number,
  encoding: Encoding,
  body: Buffer,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'content-type': CONTENT_TYPE[encoding],
    'content-length': String(body.length),
    ...headers,
  });
  res.end(body);
}
