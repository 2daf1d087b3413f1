import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { SqliteStore } from '../../../src/store/sqlite-store.ts';
import { startTestService, type TestService } from '../../helpers/service.ts';
import { hexId, metricsProto, tracesJson, tracesProto } from './bodies.ts';
import { itemStats, post, requestStats, totals } from './helpers.ts';
import { otlpProto, toPlain } from './otlp-proto.ts';

/** Every OTLP/HTTP answer other than plain success, and the partial-success path. */

let service: TestService | undefined;
afterEach(async () => {
  await service?.stop();
  service = undefined;
});

const T = Date.UTC(2026, 4, 20, 10);
const chat = (input: number | string, extra: Record<string, string | number> = {}) => ({
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-5.5',
  'gen_ai.usage.input_tokens': input,
  'gen_ai.usage.output_tokens': 5,
  ...extra,
});
const oneSpan = () => tracesProto([{ scopes: [{ spans: [{ endMs: T, attributes: chat(10) }] }] }]);

describe('OTLP/HTTP error answers', () => {
  it('404 for other paths, 405 for other methods, 415 for other types and encodings', async () => {
    service = await startTestService();
    const base = service.otlpUrl;
    const notFound = await post(`${base}/v1/logs`, oneSpan());
    expect(notFound.status).toBe(404);
    expect(toPlain(otlpProto.RpcStatus, notFound.body)).toMatchObject({ code: 5 });

    const get = await post(`${base}/v1/traces`, '', { method: 'GET' });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');

    const text = await post(`${base}/v1/traces`, 'hello', { contentType: 'text/plain' });
    expect(text.status).toBe(415);
    expect(JSON.parse(text.body.toString())).toEqual({
      code: 3,
      message: 'Content-Type "text/plain" is not supported: use application/x-protobuf or application/json',
    });
    const br = await post(`${base}/v1/traces`, oneSpan(), { headers: { 'content-encoding': 'br' } });
    expect(br.status).toBe(415);
    expect(toPlain(otlpProto.RpcStatus, br.body).message).toMatch(/Content-Encoding "br"/);

    expect(requestStats(service)).toEqual({ 'traces 405': 1, 'traces 415': 2 });
  });

  it('400 with a google.rpc.Status naming what was wrong, in the request encoding', async () => {
    service = await startTestService();
    const url = `${service.otlpUrl}/v1/traces`;
    const garbage = await post(url, Buffer.from([0x0a, 0x20, 0x01, 0x02]));
    expect(garbage.status).toBe(400);
    expect(garbage.headers.get('content-type')).toBe('application/x-protobuf');
    const status = toPlain(otlpProto.RpcStatus, garbage.body);
    expect(status).toEqual({
      code: 3,
      message: expect.stringMatching(/^undecodable traces request: resource_spans\[0\]: length 32 runs past/),
    });

    const json = await post(url, '{"resourceSpans": 5}', { contentType: 'application/json; charset=utf-8' });
    expect(json.status).toBe(400);
    expect(json.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(json.body.toString()).message).toMatch(/resourceSpans/);

    const notGzip = await post(url, oneSpan(), { headers: { 'content-encoding': 'gzip' } });
    expect(notGzip.status).toBe(400);
    expect(toPlain(otlpProto.RpcStatus, notGzip.body).message).toMatch(/not valid gzip/);

    const metrics = await post(`${service.otlpUrl}/v1/metrics`, Buffer.from([0x0a, 0x02, 0x12]));
    expect(metrics.status).toBe(400);
    expect(requestStats(service)).toEqual({ 'traces 400': 3, 'metrics 400': 1 });
    expect(await totals(service)).toBeUndefined();
  });

  it('413 over otlp.maxBodyBytes: declared, streamed, or inflated (zip bomb)', async () => {
    service = await startTestService({ otlp: { maxBodyBytes: 64 * 1024 } });
    const url = `${service.otlpUrl}/v1/traces`;
    const declared = await post(url, Buffer.alloc(70 * 1024));
    expect(declared.status).toBe(413);
    expect(declared.headers.get('connection')).toBe('close');
    expect(toPlain(otlpProto.RpcStatus, declared.body).message).toMatch(/exceeds the limit of 65536 bytes/);

    // No Content-Length: the limit is checked as bytes arrive.
    const chunks = [Buffer.alloc(40 * 1024), Buffer.alloc(40 * 1024)];
    const streamed = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new ReadableStream({
        pull(c) {
          const next = chunks.shift();
          if (next) c.enqueue(next);
          else c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);

    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const inflated = await post(url, bomb, { headers: { 'content-encoding': 'gzip' } });
    expect(inflated.status).toBe(413);
    expect(toPlain(otlpProto.RpcStatus, inflated.body).message).toMatch(/inflated body exceeds/);

    // Still serving.
    expect((await post(url, oneSpan(), { gzip: true })).status).toBe(200);
  });

  it('429 with Retry-After while other requests hold otlp.maxInFlightBytes', async () => {
    service = await startTestService({ otlp: { maxInFlightBytes: 1000, retryAfterSeconds: 7 } });
    const { port } = new URL(service.otlpUrl);
    // A slow upload declaring 800 bytes holds them while it is read: a valid body padded
    // with an unknown field (15, length-delimited) to exactly 800 bytes.
    const base = Buffer.from(oneSpan());
    const pad = 800 - base.length - 3;
    const padded = Buffer.concat([
      base,
      Buffer.from([0x7a, (pad & 0x7f) | 0x80, pad >> 7]),
      Buffer.alloc(pad),
    ]);
    expect(padded.length).toBe(800);
    const slow = httpRequest({
      host: '127.0.0.1',
      port,
      path: '/v1/traces',
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-length': '800' },
    });
    const slowAnswer = new Promise<number>((resolve) => slow.on('response', (r) => resolve(r.statusCode!)));
    slow.write(padded.subarray(0, 100));
    // Until the service has read the slow request's headers, a 500-byte body is let in
    // (and refused as undecodable); from then on it is refused for lack of room.
    let busy = await post(`${service.otlpUrl}/v1/traces`, Buffer.alloc(500));
    for (let i = 0; i < 50 && busy.status === 400; i++) {
      await new Promise((r) => setTimeout(r, 20));
      busy = await post(`${service.otlpUrl}/v1/traces`, Buffer.alloc(500));
    }
    expect(busy.status).toBe(429);
    expect(busy.headers.get('retry-after')).toBe('7');
    slow.end(padded.subarray(100));
    expect(await slowAnswer).toBe(200);
    // The bytes are released once answered.
    expect((await post(`${service.otlpUrl}/v1/traces`, oneSpan())).status).toBe(200);
    expect(requestStats(service)).toMatchObject({ 'traces 429': 1, 'traces 200': 2 });
  });

  it('503 with Retry-After when the store fails, never a 2xx; the retry then counts once', async () => {
    service = await startTestService();
    const store = service.context.engine.store as SqliteStore;
    const body = oneSpan();
    store.injectWriteFailure('disk on fire');
    const failed = await post(`${service.otlpUrl}/v1/traces`, body);
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('2');
    expect(toPlain(otlpProto.RpcStatus, failed.body)).toMatchObject({ code: 14 });
    store.injectWriteFailure(undefined);
    expect(await totals(service)).toBeUndefined();
    expect((await post(`${service.otlpUrl}/v1/traces`, body)).status).toBe(200);
    expect((await post(`${service.otlpUrl}/v1/traces`, body)).status).toBe(200);
    expect(await totals(service)).toMatchObject({ calls: 1, input: 10 });
    expect(itemStats(service)).toEqual({ 'traces accepted': 1, 'traces duplicate': 1 });
  });
});

describe('partial success', () => {
  const spans = [
    { endMs: T, attributes: chat(10) },
    { endMs: T, traceId: '0'.repeat(32), attributes: chat(20) },
    { endMs: T, attributes: chat(-5) },
    { endMs: T, attributes: chat('lots') },
    { endMs: T, attributes: { 'http.request.method': 'GET' } },
  ];

  it('protobuf: counts the good spans, answers rejected_spans with the reasons', async () => {
    service = await startTestService();
    const res = await post(`${service.otlpUrl}/v1/traces`, tracesProto([{ scopes: [{ spans }] }]));
    expect(res.status).toBe(200);
    const answer = toPlain(otlpProto.ExportTraceServiceResponse, res.body) as {
      partialSuccess: { rejectedSpans: number; errorMessage: string };
    };
    expect(answer.partialSuccess.rejectedSpans).toBe(3);
    expect(answer.partialSuccess.errorMessage).toMatch(
      /^3 span\(s\) rejected: span [0-9a-f]{16}: span: traceId: trace_id must be 16 bytes, not all zero; span [0-9a-f]{16}: gen_ai.usage.input_tokens: must not be negative; span [0-9a-f]{16}: gen_ai.usage.input_tokens: must be a number$/,
    );
    expect(await totals(service)).toMatchObject({ calls: 1, input: 10 });
    expect(itemStats(service)).toEqual({ 'traces accepted': 1, 'traces rejected': 3, 'traces ignored': 1 });
  });

  it('JSON: the same answer in OTLP/JSON', async () => {
    service = await startTestService();
    const res = await post(`${service.otlpUrl}/v1/traces`, tracesJson([{ scopes: [{ spans }] }]), {
      contentType: 'application/json',
    });
    expect(res.status).toBe(200);
    const answer = JSON.parse(res.body.toString());
    expect(answer.partialSuccess.rejectedSpans).toBe('3');
    expect(answer.partialSuccess.errorMessage).toMatch(/3 span\(s\) rejected/);
  });

  it('a fully accepted request answers an empty response', async () => {
    service = await startTestService();
    const proto = await post(`${service.otlpUrl}/v1/traces`, oneSpan());
    expect(proto.headers.get('content-type')).toBe('application/x-protobuf');
    expect(proto.body.length).toBe(0);
    const json = await post(
      `${service.otlpUrl}/v1/traces`,
      tracesJson([{ scopes: [{ spans: [{ spanId: hexId(8) }] }] }]),
      {
        contentType: 'application/json',
      },
    );
    expect(json.body.toString()).toBe('{}');
  });

  it('metrics: rejected_data_points for points that cannot be counted', async () => {
    service = await startTestService();
    const body = metricsProto({ 'service.name': 'm-only' }, [
      {
        temporality: 1,
        points: [
          {
            attributes: { 'gen_ai.token.type': 'input', 'gen_ai.operation.name': 'chat' },
            startMs: T - 1,
            timeMs: T,
            sum: 10,
          },
          { attributes: { 'gen_ai.token.type': 'thoughts' }, startMs: T - 1, timeMs: T, sum: 10 },
          { attributes: { 'gen_ai.token.type': 'output' }, startMs: T - 1, timeMs: T, sum: 2.5 },
        ],
      },
    ]);
    const res = await post(`${service.otlpUrl}/v1/metrics`, body);
    expect(res.status).toBe(200);
    const answer = toPlain(otlpProto.ExportMetricsServiceResponse, res.body) as {
      partialSuccess: { rejectedDataPoints: number; errorMessage: string };
    };
    expect(answer.partialSuccess.rejectedDataPoints).toBe(2);
    expect(answer.partialSuccess.errorMessage).toMatch(
      /gen_ai.token.type "thoughts" is not input or output.*sum: must be a whole number/,
    );
    expect(await totals(service)).toMatchObject({ input: 10 });
  });
});

describe('auth', () => {
  const keys = [
    { name: 'collector', key: 'ingest-key-0123456789', role: 'ingest' as const },
    { name: 'ops', key: 'admin-key-0123456789ab', role: 'admin' as const },
    { name: 'acme', key: 'tenant-key-0123456789a', role: 'tenant' as const, tenant: 'acme' },
  ];

  it('401 without a known key, 403 for keys not allowed to ingest, 200 for ingest and admin keys', async () => {
    service = await startTestService({ auth: { keys } });
    const url = `${service.otlpUrl}/v1/traces`;
    const none = await post(url, oneSpan());
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(toPlain(otlpProto.RpcStatus, none.body)).toMatchObject({ code: 16 });
    expect(
      (await post(url, oneSpan(), { headers: { authorization: 'Bearer nope-nope-nope-nope' } })).status,
    ).toBe(401);
    expect((await post(url, oneSpan(), { headers: { authorization: 'Basic abc' } })).status).toBe(401);
    const tenant = await post(url, oneSpan(), { headers: { authorization: `Bearer ${keys[2]!.key}` } });
    expect(tenant.status).toBe(403);
    expect(toPlain(otlpProto.RpcStatus, tenant.body).message).toMatch(
      /"acme" \(role tenant\) may not export/,
    );
    expect(
      (await post(url, oneSpan(), { headers: { authorization: `Bearer ${keys[0]!.key}` } })).status,
    ).toBe(200);
    expect(
      (
        await post(`${service.otlpUrl}/v1/metrics`, metricsProto({}, []), {
          headers: { authorization: `Bearer ${keys[1]!.key}` },
        })
      ).status,
    ).toBe(200);
    expect(requestStats(service)).toEqual({
      'traces 401': 3,
      'traces 403': 1,
      'traces 200': 1,
      'metrics 200': 1,
    });
    expect(await totals(service)).toMatchObject({ calls: 1 });
  });
});
