import type { IncomingMessage, ServerResponse } from 'node:http';
import { ValidationError } from '../../validation/errors.ts';
import { allows } from '../auth/principal.ts';
import type { ServiceContext } from '../context.ts';
import { DECODED_VALUE_BYTES } from './attribute-limit.ts';
import { BodyError, InFlightBytes, readBody } from './body-reader.ts';
import { decodeMetrics } from './decode-metrics.ts';
import { decodeTraces } from './decode-traces.ts';
import { type IngestSummary, rejectionMessage } from './ingest-summary.ts';
import { TracesIngest } from './ingest-traces.ts';
import { MetricsIngest } from './metrics-to-records.ts';
import { decodeMetricsJson, decodeTracesJson } from './otlp-json.ts';
import { Precedence } from './precedence.ts';
import { type Encoding, type OtlpSignal, RPC_CODE, send, statusBody, successBody } from './responses.ts';
import { ScopeLabeler } from './scope-labels.ts';
import { SpanRecords, spanDecodeOptions } from './spans-to-records.ts';
import { OtlpDecodeError } from './wire-reader.ts';

export interface OtlpReceiver {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Resolves once every accepted request has been committed and answered. */
  drain(): Promise<void>;
}

const PATHS: Record<string, OtlpSignal> = { '/v1/traces': 'traces', '/v1/metrics': 'metrics' };
const MEDIA: Record<string, Encoding> = { 'application/x-protobuf': 'protobuf', 'application/json': 'json' };

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * OTLP/HTTP: `POST /v1/traces` and `POST /v1/metrics`, protobuf or JSON, gzip or identity.
 * Answers, in the request's encoding: 200 (with partial_success when items were rejected)
 * only once the records are durably committed; 400 undecodable; 401/403 auth; 404/405;
 * 413 too large; 415 other media types or encodings; 429 too many bytes in flight and
 * 503 when the store fails, both with Retry-After. Wiring only: decoding, record building
 * and the engine do the work.
 */
export function createOtlpReceiver(ctx: ServiceContext): OtlpReceiver {
  const cfg = ctx.config.otlp;
  const labeler = new ScopeLabeler(cfg.resourceLabels, cfg.spanLabels);
  const spanOptions = { ...spanDecodeOptions(labeler), maxAttributes: cfg.maxAttributes };
  const precedence = new Precedence(ctx.engine.store, cfg.precedence);
  const traces = new TracesIngest(
    ctx.engine,
    new SpanRecords(labeler, ctx.config.customLabels, cfg.maxAttributes),
    precedence,
  );
  const metrics = new MetricsIngest(
    ctx.engine,
    labeler,
    precedence,
    ctx.config.customLabels,
    cfg.maxAttributes,
  );
  const inFlight = new InFlightBytes(cfg.maxInFlightBytes);
  const retryAfter = { 'retry-after': String(cfg.retryAfterSeconds) };
  const active = new Set<Promise<void>>();
  let draining = false;

  /**
   * Decodes and commits. What the decoded values hold in memory is counted in flight until
   * the request is answered, so bodies that decode to many small values are held to
   * otlp.maxInFlightBytes as well as plain ones.
   */
  async function ingest(signal: OtlpSignal, encoding: Encoding, body: Buffer): Promise<IngestSummary> {
    const decoded =
      signal === 'metrics'
        ? encoding === 'protobuf'
          ? decodeMetrics(body, cfg.maxAttributes)
          : decodeMetricsJson(body, cfg.maxAttributes)
        : encoding === 'protobuf'
          ? decodeTraces(body, spanOptions)
          : decodeTracesJson(body, spanOptions);
    const weight = (decoded.values ?? 0) * DECODED_VALUE_BYTES;
    inFlight.take(weight);
    try {
      return await ('points' in decoded ? metrics.ingest(decoded) : traces.ingest(decoded));
    } finally {
      inFlight.release(weight);
    }
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const signal = PATHS[path];
    const contentType = mediaType(req.headers['content-type']);
    const encoding: Encoding = MEDIA[contentType] ?? 'json';
    const answer = (status: number, body: Buffer, headers?: Record<string, string>) => {
      // While draining, keep-alive connections are closed after their answer.
      send(res, status, encoding, body, draining ? { ...headers, connection: 'close' } : headers);
      if (signal) ctx.stats.countRequest(signal, status);
    };
    const fail = (status: number, code: number, message: string, headers?: Record<string, string>) =>
      answer(status, statusBody(encoding, code, message), headers);

    if (!signal)
      return fail(
        404,
        RPC_CODE.NOT_FOUND,
        `no OTLP endpoint at ${path}: use POST /v1/traces or POST /v1/metrics`,
      );
    if (req.method !== 'POST')
      return fail(405, RPC_CODE.UNIMPLEMENTED, `${req.method} is not allowed on ${path}: use POST`, {
        allow: 'POST',
      });
    const auth = ctx.keys.authenticate(req.headers.authorization);
    if (!auth.ok) return fail(401, RPC_CODE.UNAUTHENTICATED, auth.message, { 'www-authenticate': 'Bearer' });
    if (!allows(auth.principal, 'ingest'))
      return fail(
        403,
        RPC_CODE.PERMISSION_DENIED,
        `API key "${auth.principal.name}" (role ${auth.principal.role}) may not export telemetry: use an ingest or admin key`,
      );
    if (MEDIA[contentType] === undefined)
      return fail(
        415,
        RPC_CODE.INVALID_ARGUMENT,
        `Content-Type ${contentType ? `"${contentType}"` : '(none)'} is not supported: use application/x-protobuf or application/json`,
      );
    const contentEncoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (contentEncoding !== 'gzip' && contentEncoding !== 'identity')
      return fail(
        415,
        RPC_CODE.INVALID_ARGUMENT,
        `Content-Encoding "${contentEncoding}" is not supported: use gzip or none`,
      );

    let body;
    try {
      body = await readBody(req, { maxBytes: cfg.maxBodyBytes, inFlight, gzip: contentEncoding === 'gzip' });
    } catch (e) {
      if (!(e instanceof BodyError)) throw e;
      if (e.status === 0) return;
      if (e.status === 429) return fail(429, RPC_CODE.RESOURCE_EXHAUSTED, e.message, retryAfter);
      if (e.status === 413) return fail(413, RPC_CODE.INVALID_ARGUMENT, e.message, { connection: 'close' });
      return fail(400, RPC_CODE.INVALID_ARGUMENT, e.message);
    }
    try {
      let summary: IngestSummary;
      try {
        summary = await ingest(signal, encoding, body.bytes);
      } catch (e) {
        if (e instanceof OtlpDecodeError || e instanceof ValidationError)
          return fail(400, RPC_CODE.INVALID_ARGUMENT, `undecodable ${signal} request: ${e.message}`);
        ctx.log.error({ err: e, signal }, 'OTLP export not committed: the store failed');
        return fail(503, RPC_CODE.UNAVAILABLE, 'the usage store is unavailable; retry later', retryAfter);
      }
      ctx.stats.countItems(signal, 'accepted', summary.accepted);
      ctx.stats.countItems(signal, 'duplicate', summary.duplicate);
      ctx.stats.countItems(signal, 'rejected', summary.rejected);
      ctx.stats.countItems(signal, 'ignored', summary.ignored);
      const items = signal === 'traces' ? 'span(s)' : 'data point(s)';
      answer(200, successBody(signal, encoding, summary.rejected, rejectionMessage(summary, items)));
    } finally {
      inFlight.release(body.held);
    }
  }

  return {
    handle(req, res) {
      const done: Promise<void> = serve(req, res)
        .catch((error: unknown) => {
          ctx.log.error({ err: error }, 'OTLP request failed');
          send(res, 500, 'json', statusBody('json', RPC_CODE.UNAVAILABLE, 'internal error'));
        })
        .finally(() => active.delete(done));
      active.add(done);
    },
    async drain() {
      draining = true;
      while (active.size > 0) await Promise.allSettled([...active]);
    },
  };
}
