import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqliteStore } from '../../../src/store/sqlite-store.ts';
import { type ApiFixture, startApi } from './api-client.ts';

/**
 * check, reserve, commit, release over HTTP against the real service. Prices come from
 * the shipped catalog: gpt-4o-mini (openai) is $0.15 / 1M input, $0.075 / 1M cache reads,
 * $0.60 / 1M output, i.e. 150,000 / 75,000 / 600,000 pico-USD per token.
 */

// 1000 × 150,000 + 200 × 600,000 = 270,000,000 pico-USD = 270,000 nano-USD
const CALL = { provider: 'openai', model: 'gpt-4o-mini', estimate: { inputTokens: 1000, outputTokens: 200 } };
const CALL_NANO = 270_000;

let f: ApiFixture;
beforeAll(async () => {
  f = await startApi({
    budgets: [
      // 500,000 nano-USD: one CALL fits, two do not.
      {
        id: 'cap',
        resource: 'cost_usd',
        period: 'day',
        limit: 0.0005,
        policy: 'HARD_LIMIT',
        selector: { agent: 'capped' },
      },
      {
        id: 'tokens',
        resource: 'tokens',
        period: 'day',
        limit: 1_000_000,
        policy: 'WARN',
        selector: { agent: 'capped' },
      },
      {
        id: 'daily',
        resource: 'cost_usd',
        period: 'day',
        limit: 1,
        policy: 'HARD_LIMIT',
        selector: { agent: 'main' },
      },
    ],
  });
});
afterAll(() => f.svc.stop());

const status = async (id: string) => {
  const r = await f.admin.get(`/v1/status?budgetId=${id}`);
  f.documented.check('GET', '/v1/status', r);
  return r.body.budgets[0] as { used: number; reserved: number };
};

describe('POST /v1/check', () => {
  it('decides with the estimate priced from the catalog, holding nothing', async () => {
    const r = await f.admin.post('/v1/check', { ...CALL, scope: { agent: 'main' } });
    expect(r.status).toBe(200);
    f.documented.check('POST', '/v1/check', r);
    expect(r.body).toMatchObject({ allowed: true, decision: 'allow', reasons: [], unpriced: false });
    expect(r.body.budgets).toHaveLength(1);
    expect(r.body.budgets[0]).toMatchObject({
      budgetId: 'daily',
      unit: 'nano_usd',
      limit: 1_000_000_000,
      used: 0,
      reserved: 0,
      requested: CALL_NANO,
      utilization: 0.00027,
      decision: 'allow',
      display: { unit: 'USD', limit: '1.00', used: '0.00', reserved: '0.00', requested: '0.00027' },
    });
    expect((await status('daily')).reserved).toBe(0);
  });

  it('says when no budget matches', async () => {
    const r = await f.admin.post('/v1/check', { scope: { agent: 'nobody' } });
    expect(r.body).toMatchObject({
      allowed: true,
      decision: 'allow',
      reasons: ['no budget matches this call'],
      budgets: [],
    });
  });
});

describe('reservations', () => {
  it('reserve 201, commit 200 with the exact cost, holds dropped', async () => {
    const r = await f.admin.post('/v1/reservations', { ...CALL, scope: { agent: 'main' } });
    expect(r.status).toBe(201);
    f.documented.check('POST', '/v1/reservations', r);
    expect(r.body.replayed).toBe(false);
    expect(r.body.reservation).toMatchObject({
      state: 'active',
      holds: [{ budgetId: 'daily', amount: CALL_NANO }],
    });
    expect(r.body.reservation.request).toEqual({
      scope: { agent: 'main' },
      provider: 'openai',
      model: 'gpt-4o-mini',
    });
    expect(await status('daily')).toMatchObject({ used: 0, reserved: CALL_NANO });

    const id = r.body.reservation.id as string;
    // (900 - 400) × 150,000 + 400 × 75,000 + 100 × 600,000 = 165,000,000 pico = 165,000 nano
    const c = await f.admin.post(`/v1/reservations/${id}/commit`, {
      usage: { input: 900, cacheRead: 400, output: 100 },
    });
    expect(c.status).toBe(200);
    f.documented.check('POST', '/v1/reservations/{id}/commit', c);
    expect(c.body).toMatchObject({
      status: 'committed',
      reservationId: id,
      recordId: `reservation:${id}`,
      usage: { input: 900, cacheRead: 400, output: 100, cacheWrite: 0, reasoning: 0 },
      overage: { daily: 165_000 - CALL_NANO },
    });
    expect(c.body.cost).toMatchObject({
      nanoUsd: 165_000,
      usd: '0.000165',
      source: 'computed',
      priceModel: 'gpt-4o-mini',
      breakdownNanoUsd: { input: 75_000, cacheRead: 30_000, output: 60_000, cacheWrite: 0, reasoning: 0 },
    });
    expect(await status('daily')).toMatchObject({ used: 165_000, reserved: 0 });

    const again = await f.admin.post(`/v1/reservations/${id}/commit`, { usage: { input: 900, output: 100 } });
    expect(again.status).toBe(409);
    f.documented.check('POST', '/v1/reservations/{id}/commit', again);
    expect(again.body.error.code).toBe('already_committed');
    expect(again.body.reservation).toMatchObject({ id, state: 'committed', recordId: `reservation:${id}` });
    expect(await status('daily')).toMatchObject({ used: 165_000, reserved: 0 });

    const del = await f.admin.del(`/v1/reservations/${id}`);
    expect(del.status).toBe(409);
    expect(del.body.error.code).toBe('reservation_committed');
  });

  it('DELETE releases (idempotently); a commit after it is 409 and counts nothing', async () => {
    const before = await status('daily');
    const r = await f.admin.post('/v1/reservations', { ...CALL, scope: { agent: 'main' } });
    const id = r.body.reservation.id as string;
    const d = await f.admin.del(`/v1/reservations/${id}`);
    expect(d.status).toBe(200);
    f.documented.check('DELETE', '/v1/reservations/{id}', d);
    expect(d.body).toMatchObject({ released: true, reservation: { id, state: 'released' } });
    const d2 = await f.admin.del(`/v1/reservations/${id}`);
    expect(d2.body).toMatchObject({ released: false, reservation: { state: 'released' } });
    const c = await f.admin.post(`/v1/reservations/${id}/commit`, { usage: { input: 10 } });
    expect(c.status).toBe(409);
    expect(c.body.error.code).toBe('reservation_released');
    expect(await status('daily')).toMatchObject({ used: before.used, reserved: before.reserved });
    const g = await f.admin.get(`/v1/reservations/${id}`);
    f.documented.check('GET', '/v1/reservations/{id}', g);
    expect(g.body.state).toBe('released');
  });

  it('unknown reservations are 404 for commit, release and read', async () => {
    for (const r of [
      await f.admin.post('/v1/reservations/nope/commit', { usage: { input: 1 } }),
      await f.admin.del('/v1/reservations/nope'),
      await f.admin.get('/v1/reservations/nope'),
    ]) {
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('not_found');
    }
  });

  it('a HARD limit denies with 402, and the denied request leaves no hold on any budget', async () => {
    const first = await f.admin.post('/v1/reservations', { ...CALL, scope: { agent: 'capped' } });
    expect(first.status).toBe(201);
    expect(first.body.reservation.holds).toEqual([
      { budgetId: 'cap', amount: CALL_NANO },
      { budgetId: 'tokens', amount: 1200 },
    ]);
    const denied = await f.admin.post('/v1/reservations', { ...CALL, scope: { agent: 'capped' } });
    expect(denied.status).toBe(402);
    f.documented.check('POST', '/v1/reservations', denied);
    expect(denied.body.error.code).toBe('budget_exceeded');
    expect(denied.body.error.message).toContain('cap');
    expect(denied.body.decision).toMatchObject({ allowed: false, decision: 'deny' });
    const cap = denied.body.decision.budgets.find((b: { budgetId: string }) => b.budgetId === 'cap');
    expect(cap).toMatchObject({
      decision: 'deny',
      used: 0,
      reserved: CALL_NANO,
      requested: CALL_NANO,
      limit: 500_000,
    });
    // Only the first reservation's holds: the denied one placed none, not even on the WARN budget.
    expect(await status('cap')).toMatchObject({ reserved: CALL_NANO });
    expect(await status('tokens')).toMatchObject({ reserved: 1200 });
    const active = await f.admin.get('/v1/reservations');
    f.documented.check('GET', '/v1/reservations', active);
    expect(active.body.reservations.map((r: { id: string }) => r.id)).toEqual([first.body.reservation.id]);
    await f.admin.del(`/v1/reservations/${first.body.reservation.id}`);
    expect(await status('cap')).toMatchObject({ used: 0, reserved: 0 });
    expect(await status('tokens')).toMatchObject({ used: 0, reserved: 0 });
  });

  it('an idempotency key replays the first reservation and holds once', async () => {
    const body = { ...CALL, scope: { agent: 'main' }, idempotencyKey: 'retry-1' };
    const before = await status('daily');
    const one = await f.admin.post('/v1/reservations', body);
    const two = await f.admin.post('/v1/reservations', body);
    expect(one.status).toBe(201);
    expect(two.status).toBe(201);
    expect(two.body.replayed).toBe(true);
    expect(two.body.reservation.id).toBe(one.body.reservation.id);
    expect(two.body.reservation.idempotencyKey).toBe('retry-1');
    expect((await status('daily')).reserved).toBe(before.reserved + CALL_NANO);
    await f.admin.del(`/v1/reservations/${one.body.reservation.id}`);
  });
});

describe('request errors', () => {
  it('schema errors are 400 naming the field', async () => {
    const cases: [string, unknown, string][] = [
      ['/v1/check', { estimate: { inputTokens: -1 } }, 'estimate.inputTokens'],
      ['/v1/check', { model: '' }, 'model'],
      ['/v1/check', { scope: { tenant: 5 } }, 'scope.tenant'],
      ['/v1/reservations', { ttlMs: 0 }, 'ttlMs'],
      ['/v1/reservations', { ttlMs: 1.5 }, 'ttlMs'],
      ['/v1/reservations', { ttlMs: 7_200_000 }, 'ttlMs'],
      ['/v1/reservations', { estimate: { costUsd: 'cheap' } }, 'estimate.costUsd'],
    ];
    for (const [path, body, field] of cases) {
      const r = await f.admin.post(path, body);
      expect(r.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'invalid_request', field });
      f.documented.check('POST', path, r);
    }
    const unknown = await f.admin.post('/v1/check', { modle: 'gpt-4o' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain('modle');
  });

  it('commit usage breaking the inclusion rules is 400 naming usage.<field>', async () => {
    const r = await f.admin.post('/v1/reservations', { ...CALL, scope: { agent: 'main' } });
    const id = r.body.reservation.id as string;
    const bad = await f.admin.post(`/v1/reservations/${id}/commit`, { usage: { input: 10, cacheRead: 20 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid_request', field: 'usage.cacheRead' });
    const neg = await f.admin.post(`/v1/reservations/${id}/commit`, { usage: { output: -3 } });
    expect(neg.body.error).toMatchObject({ code: 'invalid_request', field: 'usage.output' });
    // Still active: a rejected commit changed nothing.
    expect((await f.admin.get(`/v1/reservations/${id}`)).body.state).toBe('active');
    await f.admin.del(`/v1/reservations/${id}`);
  });

  it('malformed JSON 400, other media types 415, unknown routes 404, wrong methods 405', async () => {
    const bad = await f.admin.post('/v1/check', '{"scope": {', { 'content-type': 'application/json' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('malformed_json');
    expect(bad.body.error.message).toMatch(/not valid JSON/);

    const form = await f.admin.post('/v1/check', 'a=1', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
    expect(form.body.error.code).toBe('unsupported_media_type');
    const latin = await f.admin.post('/v1/check', '{}', {
      'content-type': 'application/json; charset=latin1',
    });
    expect(latin.status).toBe(415);

    const none = await f.admin.get('/v1/nothing-here');
    expect(none.status).toBe(404);
    expect(none.headers.get('content-type')).toMatch(/application\/json/);
    expect(none.body.error.code).toBe('not_found');

    const wrong = await f.admin.get('/v1/check');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(wrong.body.error.code).toBe('method_not_allowed');

    const empty = await f.admin.call('POST', '/v1/check');
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe('invalid_request');
  });
});

describe('store unavailable', () => {
  it('a HARD budget fails closed with 503 and the decision; /readyz says not ready', async () => {
    const store = f.svc.context.engine.store as SqliteStore;
    store.injectWriteFailure('disk on fire');
    try {
      const r = await f.admin.post('/v1/reservations', { ...CALL, scope: { agent: 'main' } });
      expect(r.status).toBe(503);
      f.documented.check('POST', '/v1/reservations', r);
      expect(r.body.error.code).toBe('store_unavailable');
      expect(r.body.decision).toMatchObject({ allowed: false, decision: 'deny' });
      expect(r.body.decision.budgets[0]).toMatchObject({
        budgetId: 'daily',
        used: null,
        reserved: null,
        utilization: null,
      });
      const ready = await f.anon.get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.error.code).toBe('not_ready');
    } finally {
      store.injectWriteFailure(undefined);
    }
    const ok = await f.admin.post('/v1/reservations', { ...CALL, scope: { agent: 'main' } });
    expect(ok.status).toBe(201);
    await f.admin.del(`/v1/reservations/${ok.body.reservation.id}`);
    expect((await f.anon.get('/readyz')).body).toEqual({ status: 'ready', store: 'sqlite' });
  });
});
