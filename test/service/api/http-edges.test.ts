import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, type ApiFixture, startApi } from './api-client.ts';

/** Body size limits, chunked bodies, and internal errors that must not leak. */

let f: ApiFixture;
beforeAll(async () => {
  f = await startApi({
    api: { maxBodyBytes: 1024 },
    budgets: [
      { id: 'g', groupBy: ['tenant'], resource: 'tokens', period: 'day', limit: 100, policy: 'WARN' },
    ],
  });
});
afterAll(() => f.svc.stop());

const padded = (bytes: number) => JSON.stringify({ scope: { tenant: 'a'.repeat(Math.max(1, bytes - 24)) } });

describe('body size limit (api.maxBodyBytes)', () => {
  it('answers 413 for an announced length over the limit, and serves bodies within it', async () => {
    const over = await f.admin.post('/v1/check', padded(2000));
    expect(over.status).toBe(413);
    expect(over.body.error).toEqual({
      code: 'payload_too_large',
      message: 'request body is larger than the limit of 1024 bytes',
    });
    f.documented.check('POST', '/v1/check', over);
    // 256 characters is the longest label value: a valid body well under 1024 bytes.
    const within = await f.admin.post('/v1/check', { scope: { tenant: 'a'.repeat(256) } });
    expect(within.status).toBe(200);
  });

  it('answers 413 for a chunked body that grows past the limit', async () => {
    const chunks = [Buffer.from('{"scope":{"tenant":"'), Buffer.alloc(4096, 'a'), Buffer.from('"}}')];
    const body = new ReadableStream({
      start(controller) {
        for (const c of chunks) controller.enqueue(c);
        controller.close();
      },
    });
    const res = await fetch(`${f.svc.apiUrl}/v1/check`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });
});

describe('internal errors', () => {
  it('answer 500 with a generic message; the details go to the log only', async () => {
    const store = f.svc.context.engine.store;
    const original = store.listCounters.bind(store);
    store.listCounters = () => Promise.reject(new Error('SQLITE_CORRUPT at /secret/path/bursar.db'));
    try {
      const r = await f.admin.get('/v1/status');
      expect(r.status).toBe(500);
      f.documented.check('GET', '/v1/status', r);
      expect(r.body).toEqual({
        error: { code: 'internal', message: 'internal error; the service log has the details' },
      });
      expect(r.text).not.toContain('secret');
      expect(r.text).not.toMatch(/at .*\.ts/);
    } finally {
      store.listCounters = original;
    }
    const logged = f.svc.logs.find((l) => l.msg === 'REST request failed');
    expect(logged).toMatchObject({ level: 50, method: 'GET', path: '/v1/status' });
    expect(JSON.stringify(logged)).toContain('SQLITE_CORRUPT');
    expect((await f.admin.get('/v1/status')).status).toBe(200);
  });
});
