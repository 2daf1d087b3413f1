import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFixture, startApi } from './api-client.ts';

/**
 * Reservation expiry on the service's own sweep (every 50 ms here), with the service's
 * clock moved by the test: the holds of an expired reservation are dropped, and a late
 * commit still records the usage.
 */

let now = Date.parse('2026-11-20T12:00:00Z');
let f: ApiFixture;
beforeAll(async () => {
  f = await startApi(
    {
      expirySweepMs: 50,
      budgets: [{ id: 'daily', resource: 'tokens', period: 'day', limit: 100_000, policy: 'HARD_LIMIT' }],
    },
    { now: () => now },
  );
});
afterAll(() => f.svc.stop());

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await read();
    if (done(v)) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not reached after 200 polls');
}

const daily = async () =>
  (await f.admin.get('/v1/status?budgetId=daily')).body.budgets[0] as { used: number; reserved: number };

describe('reservation expiry', () => {
  it('drops the holds once the ttl has passed, and a late commit still counts', async () => {
    const r = await f.admin.post('/v1/reservations', {
      ttlMs: 1000,
      estimate: { inputTokens: 4000, outputTokens: 1000 },
    });
    expect(r.status).toBe(201);
    const id = r.body.reservation.id as string;
    expect(r.body.reservation.expiresAt).toBe('2026-11-20T12:00:01.000Z');
    expect(await daily()).toMatchObject({ used: 0, reserved: 5000 });

    // Within the ttl the sweep leaves it alone.
    now += 999;
    await new Promise((res) => setTimeout(res, 150));
    expect((await f.admin.get(`/v1/reservations/${id}`)).body.state).toBe('active');

    now += 1;
    const expired = await until(
      () => f.admin.get(`/v1/reservations/${id}`),
      (a) => a.body.state === 'expired',
    );
    f.documented.check('GET', '/v1/reservations/{id}', expired);
    expect(await daily()).toMatchObject({ used: 0, reserved: 0 });
    expect((await f.admin.get('/v1/reservations')).body.reservations).toEqual([]);

    const late = await f.admin.post(`/v1/reservations/${id}/commit`, { usage: { input: 3000, output: 500 } });
    expect(late.status).toBe(200);
    f.documented.check('POST', '/v1/reservations/{id}/commit', late);
    expect(late.body).toMatchObject({ status: 'late', recordId: `reservation:${id}` });
    expect(await daily()).toMatchObject({ used: 3500, reserved: 0 });

    // DELETE of an expired reservation changes nothing and says so.
    const del = await f.admin.del(`/v1/reservations/${id}`);
    expect(del.body).toMatchObject({ released: false, reservation: { state: 'expired' } });
  });
});
