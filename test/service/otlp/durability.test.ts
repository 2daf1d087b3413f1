import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/store/sqlite-store.ts';
import { startTestService, type TestService } from '../../helpers/service.ts';
import { priced } from '../../store/fixtures.ts';
import { metricsProto, tracesProto } from './bodies.ts';
import { post, totals } from './helpers.ts';

/**
 * What a 2xx promises: committed. Cursors move only with the records they account for;
 * a graceful shutdown answers and commits every request already accepted.
 */

const dirs: string[] = [];
let service: TestService | undefined;
afterEach(async () => {
  await service?.stop();
  service = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'bursar-otlp-durable-'));
  dirs.push(d);
  return d;
};

describe('SQLite cursors', () => {
  it('persist, and a failed transaction takes back the cursor with the records beside it', async () => {
    const file = path.join(tempDir(), 'bursar.db');
    const store = new SqliteStore({ path: file });
    await store.init();
    await store.putCursors([['k', 'v1']]);
    store.injectWriteFailure('boom');
    const put = store.putCursors([['k', 'v2']]);
    const recorded = store.record([{ record: priced('r1'), increments: [] }]);
    await expect(put).rejects.toThrow('boom');
    await expect(recorded).rejects.toThrow('boom');
    store.injectWriteFailure(undefined);
    expect(await store.getCursors(['k'])).toEqual(['v1']);
    expect(await store.queryUsage({ from: 0, to: 8e12 })).toEqual([]);
    await store.putCursors([['k', 'v3']]);
    await store.close();
    const reopened = new SqliteStore({ path: file });
    await reopened.init();
    expect(await reopened.getCursors(['k', 'other'])).toEqual(['v3', undefined]);
    await reopened.close();
  });

  it('a cumulative point refused with 503 is counted from the right cursor when re-sent', async () => {
    service = await startTestService();
    const T = Date.UTC(2026, 4, 20, 10);
    const body = (timeMs: number, input: number) =>
      metricsProto({ 'service.name': 'job' }, [
        {
          temporality: 2,
          points: [
            {
              attributes: {
                'gen_ai.token.type': 'input',
                'gen_ai.operation.name': 'chat',
                'gen_ai.request.model': 'gpt-4o',
              },
              startMs: T - 3_600_000,
              timeMs,
              sum: input,
            },
          ],
        },
      ]);
    const url = `${service.otlpUrl}/v1/metrics`;
    expect((await post(url, body(T, 100))).status).toBe(200);
    (service.context.engine.store as SqliteStore).injectWriteFailure('disk full');
    expect((await post(url, body(T + 60_000, 150))).status).toBe(503);
    (service.context.engine.store as SqliteStore).injectWriteFailure(undefined);
    expect((await post(url, body(T + 60_000, 150))).status).toBe(200);
    expect((await post(url, body(T + 120_000, 180))).status).toBe(200);
    expect(await totals(service)).toMatchObject({ input: 180 });
  });
});

describe('graceful shutdown', () => {
  it('answers and commits every request already being received when the service stops', async () => {
    const dataDir = tempDir();
    const running = await startTestService({}, { dataDir });
    const { port } = new URL(running.otlpUrl);
    const n = 12;
    const bodies = Array.from({ length: n }, (_, i) =>
      Buffer.from(
        tracesProto([
          {
            scopes: [
              {
                spans: [
                  {
                    endMs: Date.UTC(2026, 4, 20, 10),
                    attributes: {
                      'gen_ai.operation.name': 'chat',
                      'gen_ai.provider.name': 'openai',
                      'gen_ai.request.model': 'gpt-4o',
                      'gen_ai.usage.input_tokens': 10 + i,
                      'gen_ai.usage.output_tokens': 1,
                    },
                  },
                ],
              },
            ],
          },
        ]),
      ),
    );
    // Every request sends its headers and half its body, then waits.
    const requests = bodies.map((b) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        path: '/v1/traces',
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', 'content-length': String(b.length) },
      });
      const answered = new Promise<number>((resolve, reject) => {
        req.on('response', (r) => {
          r.resume();
          resolve(r.statusCode!);
        });
        req.on('error', reject);
      });
      req.write(b.subarray(0, b.length >> 1));
      return { req, answered, rest: b.subarray(b.length >> 1) };
    });
    // Connected and sent: give the service a moment to read the headers (it then holds them).
    await Promise.all(
      requests.map(
        ({ req }) =>
          new Promise((r) => req.on('socket', (s) => (s.connecting ? s.once('connect', r) : r(null)))),
      ),
    );
    await new Promise((r) => setTimeout(r, 200));
    const closing = running.close();
    for (const { req, rest } of requests) req.end(rest);
    expect(await Promise.all(requests.map((r) => r.answered))).toEqual(Array(n).fill(200));
    await closing;

    service = await startTestService({}, { dataDir });
    expect(await totals(service)).toMatchObject({ calls: n, input: n * 10 + (n * (n - 1)) / 2 });
  });
});
