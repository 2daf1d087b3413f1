import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotHistory } from '../../../src/budget/status.ts';
import { type ApiFixture, startApi } from './api-client.ts';

/** Budgets, status, history and overrides over HTTP, on a fixed service clock. */

const NOW = Date.parse('2026-11-20T12:00:00Z'); // 43,200 s into the UTC day
const usage = (id: string, input: number, output: number, scope: Record<string, string>) => ({
  id,
  time: NOW - 60_000,
  provider: 'openai',
  operation: 'chat',
  requestModel: 'gpt-4o-mini',
  usage: { input, output },
  scope,
});

let f: ApiFixture;
beforeAll(async () => {
  f = await startApi({ snapshotIntervalMs: 86_400_000 }, { now: () => NOW });
});
afterAll(() => f.svc.stop());

describe('budgets', () => {
  it('PUT creates (201) then replaces (200); GET lists and reads one', async () => {
    const spec = {
      resource: 'cost_usd',
      period: 'day',
      limit: 0.001,
      policy: 'HARD_LIMIT',
      selector: { agent: 'bot' },
    };
    const created = await f.admin.put('/v1/budgets/daily', spec);
    expect(created.status).toBe(201);
    f.documented.check('PUT', '/v1/budgets/{id}', created);
    expect(created.body).toMatchObject({
      spec: { id: 'daily', limit: 0.001, timeZone: 'UTC', thresholds: [0.5, 0.75, 0.9, 1], grace: 0.1 },
      unit: 'nano_usd',
      limit: 1_000_000,
      display: { unit: 'USD', limit: '0.001' },
      allocation: null,
      children: [],
    });
    const replaced = await f.admin.put('/v1/budgets/daily', { ...spec, id: 'daily', name: 'bot, per day' });
    expect(replaced.status).toBe(200);
    expect(replaced.body.spec.name).toBe('bot, per day');
    const one = await f.admin.get('/v1/budgets/daily');
    f.documented.check('GET', '/v1/budgets/{id}', one);
    expect(one.body.spec.name).toBe('bot, per day');
    const list = await f.admin.get('/v1/budgets');
    f.documented.check('GET', '/v1/budgets', list);
    expect(list.body.budgets.map((b: { spec: { id: string } }) => b.spec.id)).toContain('daily');
  });

  it('parent allocations resolve to limits; a parent with children cannot be deleted', async () => {
    await f.admin.put('/v1/budgets/org', {
      resource: 'cost_usd',
      period: 'month',
      limit: 100,
      policy: 'HARD_LIMIT',
    });
    const team = await f.admin.put('/v1/budgets/team', {
      resource: 'cost_usd',
      period: 'month',
      policy: 'SOFT_LIMIT',
      selector: { project: 'x' },
      parent: { id: 'org', allocationPercent: 25 },
    });
    expect(team.status).toBe(201);
    expect(team.body).toMatchObject({
      limit: 25_000_000_000,
      display: { limit: '25.00' },
      allocation: { parentId: 'org', allocationPercent: 25 },
    });
    expect((await f.admin.get('/v1/budgets/org')).body.children).toEqual([
      { id: 'team', allocationPercent: 25, limit: 25_000_000_000 },
    ]);
    const refused = await f.admin.del('/v1/budgets/org');
    expect(refused.status).toBe(409);
    f.documented.check('DELETE', '/v1/budgets/{id}', refused);
    expect(refused.body.error.code).toBe('budget_has_children');
    const gone = await f.admin.del('/v1/budgets/team');
    expect(gone.status).toBe(200);
    f.documented.check('DELETE', '/v1/budgets/{id}', gone);
    expect(gone.body).toEqual({ deleted: 'team' });
    expect((await f.admin.del('/v1/budgets/team')).status).toBe(404);
    expect((await f.admin.get('/v1/budgets/team')).status).toBe(404);
    expect((await f.admin.del('/v1/budgets/org')).status).toBe(200);
  });

  it('refuses bad specs with 400 naming the field', async () => {
    const base = { resource: 'cost_usd', period: 'day', limit: 1, policy: 'HARD_LIMIT' };
    const cases: [string, unknown, string][] = [
      ['b1', { ...base, limit: undefined }, 'limit'],
      ['b1', { ...base, resource: 'euros' }, 'resource'],
      ['b1', { ...base, period: 'fortnight' }, 'period'],
      ['b1', { ...base, timeZone: 'Europe/Atlantis' }, 'timeZone'],
      ['b1', { ...base, limit: undefined, parent: { id: 'missing', allocationPercent: 10 } }, 'parent.id'],
      ['b1', { ...base, id: 'other' }, 'id'],
      ['b1', { ...base, selector: { 'Not-A-Label': 'x' } }, 'selector.Not-A-Label'],
      ['bad id!', base, 'id'],
    ];
    for (const [id, body, field] of cases) {
      const r = await f.admin.put(`/v1/budgets/${encodeURIComponent(id)}`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('invalid_request');
      expect(r.body.error.field, JSON.stringify(body)).toBe(field);
    }
    expect((await f.admin.get('/v1/budgets/b1')).status).toBe(404);
  });
});

describe('status and history', () => {
  it('shows used, remaining, utilization, burn rate and forecast exactly', async () => {
    // 270,000 + 525,000 = 795,000 nano-USD of a 1,000,000 limit, spent over 43,200 s.
    await f.admin.post('/v1/usage', {
      records: [usage('s-1', 1000, 200, { agent: 'bot' }), usage('s-2', 1500, 500, { agent: 'bot' })],
    });
    const r = await f.admin.get('/v1/status?budgetId=daily');
    expect(r.status).toBe(200);
    f.documented.check('GET', '/v1/status', r);
    const burnRate = 795_000 / 43_200;
    expect(r.body).toMatchObject({ time: '2026-11-20T12:00:00.000Z', isAnyCritical: false });
    expect(r.body.budgets).toHaveLength(1);
    expect(r.body.budgets[0]).toMatchObject({
      budgetId: 'daily',
      name: 'bot, per day',
      unit: 'nano_usd',
      limit: 1_000_000,
      used: 795_000,
      reserved: 0,
      remaining: 205_000,
      utilization: 0.795,
      critical: false,
      periodStart: '2026-11-20T00:00:00.000Z',
      periodEnd: '2026-11-21T00:00:00.000Z',
      burnRate,
      burnRateRatio: burnRate / (1_000_000 / 86_400),
      forecastExhaustedAt: new Date(Math.round(NOW + (205_000 / burnRate) * 1000)).toISOString(),
      display: {
        unit: 'USD',
        limit: '0.001',
        used: '0.000795',
        remaining: '0.000205',
        burnRatePerHour: '0.00006625',
      },
    });
    // 150,000 more: 945,000 / 1,000,000 passes criticalAt 0.9.
    await f.admin.post('/v1/usage', { records: [usage('s-3', 1000, 0, { agent: 'bot' })] });
    const critical = await f.admin.get('/v1/status');
    expect(critical.body.isAnyCritical).toBe(true);
    expect(critical.body.budgets.find((b: { budgetId: string }) => b.budgetId === 'daily')).toMatchObject({
      used: 945_000,
      critical: true,
    });
  });

  it('one row per group for grouped budgets, with its labels', async () => {
    await f.admin.put('/v1/budgets/per-tenant', {
      resource: 'tokens',
      period: 'day',
      limit: 10_000,
      policy: 'WARN',
      groupBy: ['tenant'],
    });
    await f.admin.post('/v1/usage', {
      records: [usage('g-1', 100, 10, { tenant: 'a' }), usage('g-2', 200, 20, { tenant: 'b' })],
    });
    const r = await f.admin.get('/v1/status?budgetId=per-tenant');
    const rows = r.body.budgets.map((b: { groupLabels: object; used: number; unit: string }) => [
      b.groupLabels,
      b.used,
      b.unit,
    ]);
    expect(rows).toEqual(
      expect.arrayContaining([
        [{ tenant: 'a' }, 110, 'tokens'],
        [{ tenant: 'b' }, 220, 'tokens'],
      ]),
    );
    expect(rows).toHaveLength(2);
  });

  it('history lists saved snapshots', async () => {
    await snapshotHistory(f.svc.context.engine);
    const r = await f.admin.get('/v1/history?budgetId=daily&from=2026-11-20');
    expect(r.status).toBe(200);
    f.documented.check('GET', '/v1/history', r);
    expect(r.body.snapshots).toEqual([
      {
        time: '2026-11-20T12:00:00.000Z',
        budgetId: 'daily',
        group: '',
        groupLabels: {},
        unit: 'nano_usd',
        periodStart: '2026-11-20T00:00:00.000Z',
        used: 945_000,
        reserved: 0,
        limit: 1_000_000,
        utilization: 0.945,
      },
    ]);
  });
});

describe('overrides', () => {
  it('add raises the limit, list shows it, delete withdraws it', async () => {
    const expiresAt = new Date(NOW + 3_600_000).toISOString();
    const r = await f.admin.post('/v1/overrides', {
      budgetId: 'daily',
      amount: 0.0005,
      expiresAt,
      reason: 'launch day',
    });
    expect(r.status).toBe(201);
    f.documented.check('POST', '/v1/overrides', r);
    expect(r.body).toMatchObject({
      budgetId: 'daily',
      unit: 'nano_usd',
      amount: 500_000,
      display: { amount: '0.0005' },
      expiresAt,
      active: true,
      reason: 'launch day',
      author: 'admin',
    });
    const s = await f.admin.get('/v1/status?budgetId=daily');
    expect(s.body.budgets[0]).toMatchObject({ limit: 1_500_000, baseLimit: 1_000_000, remaining: 555_000 });
    const list = await f.admin.get('/v1/overrides?budgetId=daily');
    f.documented.check('GET', '/v1/overrides', list);
    expect(list.body.overrides.map((o: { id: string }) => o.id)).toEqual([r.body.id]);
    const del = await f.admin.del(`/v1/overrides/${r.body.id}`);
    expect(del.status).toBe(200);
    f.documented.check('DELETE', '/v1/overrides/{id}', del);
    expect((await f.admin.get('/v1/overrides')).body.overrides).toEqual([]);
    expect((await f.admin.get('/v1/status?budgetId=daily')).body.budgets[0].limit).toBe(1_000_000);
    expect((await f.admin.del(`/v1/overrides/${r.body.id}`)).status).toBe(404);
  });

  it('refuses bad overrides with 400 naming the field', async () => {
    const ok = { budgetId: 'daily', amount: 1, expiresAt: NOW + 1000, reason: 'r' };
    const cases: [unknown, string][] = [
      [{ ...ok, expiresAt: NOW - 1000 }, 'expiresAt'],
      [{ ...ok, budgetId: 'nope' }, 'budgetId'],
      [{ ...ok, reason: '' }, 'reason'],
      [{ ...ok, amount: -1 }, 'amount'],
      [{ ...ok, expiresAt: 'tomorrow' }, 'expiresAt'],
    ];
    for (const [body, field] of cases) {
      const r = await f.admin.post('/v1/overrides', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.field, JSON.stringify(body)).toBe(field);
    }
  });
});
