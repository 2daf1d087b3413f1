import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp } from '../../../src/service/api/api-app.ts';
import { ADMIN_KEY, type ApiFixture, client, INGEST_KEY, startApi, TENANT_A_KEY } from './api-client.ts';

/**
 * The hot enforcement routes are dispatched before Express (fast-dispatch.ts). The same
 * request through Express — a trailing slash, which Express routes to the same handler
 * and the fast path leaves alone — must get the same answer, errors included.
 */

let f: ApiFixture;
beforeAll(async () => {
  f = await startApi({
    budgets: [
      {
        id: 'cap',
        groupBy: ['tenant'],
        resource: 'tokens',
        period: 'day',
        limit: 1000,
        policy: 'HARD_LIMIT',
      },
    ],
  });
});
afterAll(() => f.svc.stop());

const check = {
  scope: { tenant: 'a', agent: 'x' },
  provider: 'openai',
  model: 'gpt-5.5',
  estimate: { inputTokens: 10, outputTokens: 5 },
};

/** Status and body, with the fields that differ between any two calls (ids, times) masked. */
function shape(a: { status: number; body: unknown }, id?: string) {
  let masked = JSON.stringify(a.body, (k, v) =>
    [
      'id',
      'reservationId',
      'recordId',
      'createdAt',
      'expiresAt',
      'time',
      'periodEnd',
      'group',
      'tenant',
    ].includes(k)
      ? '…'
      : v,
  );
  if (id !== undefined) masked = masked.replaceAll(id, '<id>');
  return { status: a.status, body: JSON.parse(masked) as unknown };
}

describe('fast dispatch of the enforcement routes', () => {
  it('answers POST /v1/check exactly as Express does: allowed, invalid, malformed, unauthenticated, forbidden, oversized estimate', async () => {
    const cases: [string | undefined, unknown][] = [
      [ADMIN_KEY, check],
      [TENANT_A_KEY, check],
      [TENANT_A_KEY, { ...check, scope: { tenant: 'b' } }],
      [ADMIN_KEY, { ...check, estimate: { inputTokens: -1 } }],
      [ADMIN_KEY, '{"scope": '],
      [undefined, check],
      [INGEST_KEY, check],
      [ADMIN_KEY, { ...check, estimate: { inputTokens: 5000, outputTokens: 0 } }],
    ];
    for (const [key, body] of cases) {
      const c = client(f.svc.apiUrl, key);
      const fast = await c.post('/v1/check', body);
      const viaExpress = await c.post('/v1/check/', body);
      expect(shape(fast), JSON.stringify(body)).toEqual(shape(viaExpress));
    }
  });

  it('reserves, commits and releases the same through either path, conflicts and unknown ids included', async () => {
    // Tenants a and c have counters of their own (the budget groups by tenant): same state.
    const reserve = (tenant: string) => ({ ...check, scope: { tenant, agent: 'x' }, ttlMs: 60_000 });
    const r1 = await f.admin.post('/v1/reservations', reserve('a'));
    const r2 = await f.admin.post('/v1/reservations/', reserve('c'));
    expect(r1.status).toBe(201);
    expect(shape(r1)).toEqual(shape(r2));
    const usage = { usage: { input: 8, output: 4 } };
    const c1 = await f.admin.post(`/v1/reservations/${r1.body.reservation.id}/commit`, usage);
    const c2 = await f.admin.post(`/v1/reservations/${r2.body.reservation.id}/commit/`, usage);
    expect(c1.status).toBe(200);
    expect(shape(c1)).toEqual(shape(c2));
    // Committed twice: 409 either way.
    const again1 = await f.admin.post(`/v1/reservations/${r1.body.reservation.id}/commit`, usage);
    const again2 = await f.admin.post(`/v1/reservations/${r2.body.reservation.id}/commit/`, usage);
    expect(again1.status).toBe(409);
    expect(shape(again1, r1.body.reservation.id)).toEqual(shape(again2, r2.body.reservation.id));
    // An id with an escaped slash is decoded as Express decodes it.
    const unknown1 = await f.admin.post('/v1/reservations/no%2Fsuch/commit', usage);
    const unknown2 = await f.admin.post('/v1/reservations/no%2Fsuch/commit/', usage);
    expect(unknown1.status).toBe(404);
    expect(unknown1.body.error.message).toContain('no/such');
    expect(shape(unknown1)).toEqual(shape(unknown2));
    const d1 = await f.admin.del('/v1/reservations/missing');
    const d2 = await f.admin.del('/v1/reservations/missing/');
    expect(d1.status).toBe(404);
    expect(shape(d1)).toEqual(shape(d2));
    // Over the HARD cap (1000 tokens a day for tenant a): 402 with the decision, both ways.
    const big = { ...check, estimate: { inputTokens: 5000, outputTokens: 0 } };
    const denied1 = await f.admin.post('/v1/reservations', big);
    const denied2 = await f.admin.post('/v1/reservations/', big);
    expect(denied1.status).toBe(402);
    expect(shape(denied1)).toEqual(shape(denied2));
  });

  it('takes only the hot routes past Express: everything else still goes through it', async () => {
    const listener = createApiApp(f.svc.context);
    // Express now answers everything it is given with a marker.
    // (`handle` is the app's entry point; Express's types leave it out.)
    (listener.express as unknown as { handle: unknown }).handle = (
      _req: unknown,
      res: { end: (s: string) => void },
    ) => res.end('express');
    const server: Server = createServer(listener);
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const c = client(url, ADMIN_KEY);
      expect((await c.post('/v1/check', check)).status).toBe(200);
      expect((await c.post('/v1/reservations/nope/commit', { usage: { input: 1, output: 0 } })).status).toBe(
        404,
      );
      expect((await c.post('/v1/check/', check)).text).toBe('express');
      expect((await c.post('/v1/check?x=1', check)).text).toBe('express');
      expect((await c.get('/v1/status')).text).toBe('express');
      expect((await c.get('/v1/check')).text).toBe('express');
    } finally {
      server.close();
    }
  });
});
