import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService } from '../../helpers/service.ts';
import { type Answer, type ApiFixture, type Client, client, startApi } from './api-client.ts';

/**
 * Every route × every kind of caller: no key, an ingest key, tenant A's key, tenant B's
 * key, an admin key. Resources used belong to tenant A, so tenant B must never reach
 * them; each row runs on fresh resources of its own.
 */

type Role = 'none' | 'ingest' | 'a' | 'b' | 'admin';
const ROLES: Role[] = ['none', 'ingest', 'a', 'b', 'admin'];
type Expect = [none: number, ingest: number, a: number, b: number, admin: number];

let f: ApiFixture;
let seq = 0;
const fresh = (prefix: string) => `${prefix}-${++seq}`;
const clientOf = (role: Role): Client =>
  ({ none: f.anon, ingest: f.ingest, a: f.a, b: f.b, admin: f.admin })[role];

/** A reservation of tenant A, made by the admin. */
async function reservationOfA(): Promise<string> {
  const r = await f.admin.post('/v1/reservations', { scope: { tenant: 'a' }, estimate: { inputTokens: 1 } });
  expect(r.status).toBe(201);
  return r.body.reservation.id as string;
}

const record = (id: string, tenant?: string) => ({
  records: [
    {
      id,
      time: Date.now(),
      provider: 'openai',
      operation: 'chat',
      requestModel: 'gpt-4o-mini',
      usage: { input: 10, output: 1 },
      ...(tenant ? { scope: { tenant } } : {}),
    },
  ],
});

interface Row {
  route: string;
  run(c: Client): Promise<Answer>;
  expect: Expect;
}

const USE: Expect = [401, 403, 200, 200, 200];
const ADMIN_ONLY = (ok: number): Expect => [401, 403, 403, 403, ok];
const A_ONLY = (ok: number): Expect => [401, 403, ok, 403, ok];
const A_HIDDEN = (ok: number): Expect => [401, 403, ok, 404, ok];

const ROWS: Row[] = [
  { route: 'GET /healthz', run: (c) => c.get('/healthz'), expect: [200, 200, 200, 200, 200] },
  { route: 'GET /readyz', run: (c) => c.get('/readyz'), expect: [200, 200, 200, 200, 200] },
  { route: 'GET /openapi.json', run: (c) => c.get('/openapi.json'), expect: [200, 200, 200, 200, 200] },
  {
    route: 'POST /v1/check',
    run: (c) => c.post('/v1/check', { scope: { tenant: 'a' } }),
    expect: A_ONLY(200),
  },
  { route: 'POST /v1/check', run: (c) => c.post('/v1/check', {}), expect: USE },
  {
    route: 'POST /v1/reservations',
    run: (c) => c.post('/v1/reservations', { scope: { tenant: 'a' }, estimate: { inputTokens: 1 } }),
    expect: A_ONLY(201),
  },
  {
    route: 'POST /v1/reservations/{id}/commit',
    run: async (c) => c.post(`/v1/reservations/${await reservationOfA()}/commit`, { usage: { input: 1 } }),
    expect: A_HIDDEN(200),
  },
  {
    route: 'POST /v1/reservations/{id}/commit',
    run: async (c) =>
      c.post(`/v1/reservations/${await reservationOfA()}/commit`, {
        usage: { input: 1 },
        scope: { tenant: 'b' },
      }),
    expect: [401, 403, 403, 404, 200],
  },
  {
    route: 'DELETE /v1/reservations/{id}',
    run: async (c) => c.del(`/v1/reservations/${await reservationOfA()}`),
    expect: A_HIDDEN(200),
  },
  {
    route: 'GET /v1/reservations/{id}',
    run: async (c) => c.get(`/v1/reservations/${await reservationOfA()}`),
    expect: A_HIDDEN(200),
  },
  { route: 'GET /v1/reservations', run: (c) => c.get('/v1/reservations'), expect: USE },
  {
    route: 'POST /v1/usage',
    run: (c) => c.post('/v1/usage', record(fresh('rec'), 'a')),
    expect: A_ONLY(200),
  },
  { route: 'POST /v1/usage', run: (c) => c.post('/v1/usage', record(fresh('rec'))), expect: USE },
  { route: 'GET /v1/usage', run: (c) => c.get('/v1/usage?groupBy=tenant'), expect: USE },
  { route: 'GET /v1/usage', run: (c) => c.get('/v1/usage?tenant=a'), expect: A_ONLY(200) },
  { route: 'GET /v1/usage/records', run: (c) => c.get('/v1/usage/records?tenant=a'), expect: A_ONLY(200) },
  { route: 'GET /v1/budgets', run: (c) => c.get('/v1/budgets'), expect: USE },
  { route: 'GET /v1/budgets/{id}', run: (c) => c.get('/v1/budgets/a-only'), expect: A_HIDDEN(200) },
  {
    route: 'GET /v1/budgets/{id}',
    run: (c) => c.get('/v1/budgets/global'),
    expect: [401, 403, 404, 404, 200],
  },
  { route: 'GET /v1/budgets/{id}', run: (c) => c.get('/v1/budgets/per-tenant'), expect: USE },
  {
    route: 'PUT /v1/budgets/{id}',
    run: (c) =>
      c.put(`/v1/budgets/${fresh('new')}`, {
        resource: 'tokens',
        period: 'day',
        limit: 5,
        policy: 'WARN',
        selector: { tenant: 'a' },
      }),
    expect: ADMIN_ONLY(201),
  },
  {
    route: 'DELETE /v1/budgets/{id}',
    run: async (c) => {
      const id = fresh('doomed');
      await f.admin.put(`/v1/budgets/${id}`, {
        resource: 'tokens',
        period: 'day',
        limit: 5,
        policy: 'WARN',
        selector: { tenant: 'a' },
      });
      return c.del(`/v1/budgets/${id}`);
    },
    expect: ADMIN_ONLY(200),
  },
  { route: 'GET /v1/status', run: (c) => c.get('/v1/status'), expect: USE },
  { route: 'GET /v1/history', run: (c) => c.get('/v1/history'), expect: USE },
  { route: 'GET /v1/reports/summary', run: (c) => c.get('/v1/reports/summary'), expect: USE },
  {
    route: 'GET /v1/reports/summary',
    run: (c) => c.get('/v1/reports/summary?tenant=a'),
    expect: A_ONLY(200),
  },
  { route: 'GET /v1/reports/optimize', run: (c) => c.get('/v1/reports/optimize'), expect: USE },
  {
    route: 'GET /v1/reports/optimize',
    run: (c) => c.get('/v1/reports/optimize?tenant=a'),
    expect: A_ONLY(200),
  },
  {
    route: 'POST /v1/overrides',
    run: (c) =>
      c.post('/v1/overrides', {
        budgetId: 'a-only',
        amount: 1,
        expiresAt: Date.now() + 60_000,
        reason: 'matrix',
      }),
    expect: ADMIN_ONLY(201),
  },
  { route: 'GET /v1/overrides', run: (c) => c.get('/v1/overrides'), expect: USE },
  {
    route: 'DELETE /v1/overrides/{id}',
    run: async (c) => {
      const o = await f.admin.post('/v1/overrides', {
        budgetId: 'a-only',
        amount: 1,
        expiresAt: Date.now() + 60_000,
        reason: 'r',
      });
      return c.del(`/v1/overrides/${o.body.id}`);
    },
    expect: ADMIN_ONLY(200),
  },
  { route: 'GET /v1/prices', run: (c) => c.get('/v1/prices?origin=custom'), expect: USE },
  {
    route: 'PUT /v1/prices/{model}',
    run: (c) => c.put(`/v1/prices/${fresh('m')}`, { input: 1, output: 1 }),
    expect: ADMIN_ONLY(200),
  },
  {
    route: 'DELETE /v1/prices/{model}',
    run: async (c) => {
      const m = fresh('gone');
      await f.admin.put(`/v1/prices/${m}`, { input: 1, output: 1 });
      return c.del(`/v1/prices/${m}`);
    },
    expect: ADMIN_ONLY(200),
  },
  {
    route: 'POST /v1/prices/import',
    run: (c) =>
      c.post('/v1/prices/import', {
        [fresh('lite')]: { input_cost_per_token: 1e-6, output_cost_per_token: 1e-6 },
      }),
    expect: ADMIN_ONLY(200),
  },
];

beforeAll(async () => {
  f = await startApi({
    budgets: [
      {
        id: 'a-only',
        resource: 'cost_usd',
        period: 'day',
        limit: 10,
        policy: 'WARN',
        selector: { tenant: 'a' },
      },
      {
        id: 'b-only',
        resource: 'cost_usd',
        period: 'day',
        limit: 10,
        policy: 'WARN',
        selector: { tenant: 'b' },
      },
      {
        id: 'per-tenant',
        resource: 'tokens',
        period: 'day',
        limit: 1_000_000,
        policy: 'WARN',
        groupBy: ['tenant'],
      },
      { id: 'global', resource: 'requests', period: 'day', limit: 1_000_000, policy: 'IGNORE' },
    ],
  });
});
afterAll(() => f.svc.stop());

describe('auth matrix', () => {
  it('covers every documented route', () => {
    const documented = Object.entries(f.documented.doc.paths).flatMap(([path, ms]) =>
      Object.keys(ms).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect([...new Set(ROWS.map((r) => r.route))].sort()).toEqual(documented.sort());
  });

  for (const row of ROWS) {
    it(`${row.route} → ${row.expect.join(' / ')} for none / ingest / tenant a / tenant b / admin`, async () => {
      const got: Record<string, number> = {};
      for (const role of ROLES) {
        const r = await row.run(clientOf(role));
        got[role] = r.status;
        if (r.status >= 400) {
          expect(Object.keys(r.body), `${role}: ${r.text}`).toEqual(['error']);
          if (r.status === 401) expect(r.body.error.code).toBe('unauthorized');
          if (r.status === 403) expect(r.body.error.code).toBe('forbidden');
        }
        const [method, path] = row.route.split(' ') as [string, string];
        f.documented.check(method, path, r);
      }
      expect(got).toEqual(Object.fromEntries(ROLES.map((role, i) => [role, row.expect[i]])));
    });
  }

  it('refuses unknown keys and other schemes with 401', async () => {
    const wrong = client(f.svc.apiUrl, 'not-a-configured-key-at-all');
    const r = await wrong.post('/v1/check', {});
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer');
    const basic = await f.anon.post('/v1/check', {}, { authorization: 'Basic YWRtaW46YWRtaW4=' });
    expect(basic.status).toBe(401);
    expect(basic.body.error.message).toContain('Bearer');
  });
});

describe('a tenant key sees its own tenant only', () => {
  it('check fills in its tenant and matches its budgets', async () => {
    const fixed = new Set(['a-only', 'b-only', 'per-tenant', 'global']);
    const rows = (budgets: { budgetId: string; group: string }[]) =>
      budgets.filter((b) => fixed.has(b.budgetId)).map((b) => [b.budgetId, b.group]);
    // The admin sees every matching budget; tenant a is not shown 'global', which sums every tenant.
    const asAdmin = await f.admin.post('/v1/check', { scope: { tenant: 'a' } });
    expect(rows(asAdmin.body.budgets).sort()).toEqual([
      ['a-only', ''],
      ['global', ''],
      ['per-tenant', 'a'],
    ]);
    const r = await f.a.post('/v1/check', {});
    expect(rows(r.body.budgets).sort()).toEqual([
      ['a-only', ''],
      ['per-tenant', 'a'],
    ]);
    const res = await f.a.post('/v1/reservations', { estimate: { inputTokens: 1 } });
    expect(res.body.reservation.request.scope).toEqual({ tenant: 'a' });
    const held = res.body.reservation.holds.map((h: { budgetId: string }) => h.budgetId);
    expect(held).toContain('per-tenant');
    expect(held).not.toContain('global');
    const all = await f.admin.get(`/v1/reservations/${res.body.reservation.id}`);
    expect(all.body.holds.map((h: { budgetId: string }) => h.budgetId)).toContain('global');
    await f.a.del(`/v1/reservations/${res.body.reservation.id}`);
  });

  it('status, budgets, overrides and reservations are narrowed to it', async () => {
    await f.admin.post('/v1/usage', {
      records: [record(fresh('s'), 'a').records[0], record(fresh('s'), 'b').records[0]],
    });
    const status = await f.b.get('/v1/status');
    expect(
      status.body.budgets.map((s: { budgetId: string; groupLabels: object }) => [s.budgetId, s.groupLabels]),
    ).toEqual([
      ['b-only', {}],
      ['per-tenant', { tenant: 'b' }],
    ]);
    const budgets = await f.b.get('/v1/budgets');
    expect(
      budgets.body.budgets.map((b: { spec: { id: string }; visibility: string }) => [
        b.spec.id,
        b.visibility,
      ]),
    ).toEqual([
      ['b-only', 'all'],
      ['per-tenant', 'own-group'],
    ]);
    await f.admin.post('/v1/overrides', {
      budgetId: 'a-only',
      amount: 1,
      expiresAt: Date.now() + 60_000,
      reason: 'a only',
    });
    expect((await f.b.get('/v1/overrides')).body.overrides).toEqual([]);
    expect((await f.a.get('/v1/overrides')).body.overrides.length).toBeGreaterThan(0);
    const mine = await reservationOfA();
    const seenByB = (await f.b.get('/v1/reservations')).body.reservations.map((r: { id: string }) => r.id);
    expect(seenByB).not.toContain(mine);
    expect((await f.a.get('/v1/reservations')).body.reservations.map((r: { id: string }) => r.id)).toContain(
      mine,
    );
  });

  it('usage reads and reports are filtered to it', async () => {
    const usage = await f.b.get('/v1/usage?groupBy=tenant');
    expect(usage.body.rows.map((r: { group: { tenant: string } }) => r.group.tenant)).toEqual(['b']);
    const records = await f.b.get('/v1/usage/records');
    expect(new Set(records.body.records.map((r: { scope: { tenant?: string } }) => r.scope.tenant))).toEqual(
      new Set(['b']),
    );
    const summary = await f.a.get('/v1/reports/summary');
    const all = await f.admin.get('/v1/reports/summary?tenant=a');
    expect(summary.body.calls).toBe(all.body.calls);
    expect(summary.body.calls).toBeLessThan((await f.admin.get('/v1/reports/summary')).body.calls);
  });

  it('idempotency keys of two tenants never collide', async () => {
    const ra = await f.a.post('/v1/reservations', { idempotencyKey: 'same', estimate: { inputTokens: 1 } });
    const rb = await f.b.post('/v1/reservations', { idempotencyKey: 'same', estimate: { inputTokens: 1 } });
    expect(ra.status).toBe(201);
    expect(rb.status).toBe(201);
    expect(rb.body.replayed).toBe(false);
    expect(rb.body.reservation.id).not.toBe(ra.body.reservation.id);
    expect(rb.body.reservation.idempotencyKey).toBe('same');
    const again = await f.a.post('/v1/reservations', {
      idempotencyKey: 'same',
      estimate: { inputTokens: 1 },
    });
    expect(again.body).toMatchObject({ replayed: true, reservation: { id: ra.body.reservation.id } });
  });
});

describe('no keys configured', () => {
  it('every local request is the admin', async () => {
    const svc = await startTestService({ log: { level: 'silent' } });
    try {
      const anon = client(svc.apiUrl);
      expect(
        (await anon.put('/v1/budgets/x', { resource: 'tokens', period: 'day', limit: 5, policy: 'WARN' }))
          .status,
      ).toBe(201);
      expect((await anon.post('/v1/check', {})).status).toBe(200);
    } finally {
      await svc.stop();
    }
  });
});
