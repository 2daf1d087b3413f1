import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../src/service/events/webhooks.ts';
import { post } from '../service/otlp/helpers.ts';
import {
  ADMIN_KEY,
  type Answer,
  type ApiFixture,
  type Client,
  INGEST_KEY,
  startApi,
  TENANT_A_KEY,
  TENANT_B_KEY,
} from '../service/api/api-client.ts';
import { connect, refused, type TestSocket, wsUrl } from '../service/events/ws-client.ts';
import { chatSpan, tracesBody } from './span-bodies.ts';

/**
 * Tenant isolation across every surface at once — REST, OTLP, /metrics, /ws, /ws/alerts and
 * webhooks — for every role: no key, an ingest key, tenant A's key, tenant B's key, an admin
 * key. Tenant A's data carries marker strings (`secret-a`); after A has recorded usage,
 * crossed thresholds, reserved, let a reservation expire and been granted an override, no
 * answer, WebSocket message or webhook delivery that B (or a keyless or ingest caller) gets
 * holds a marker or anything about tenant `a`, and nothing B tries changes A's state.
 * Every answer's status is checked against the table; the whole run's log is then searched
 * for every key and secret.
 */

type Role = 'none' | 'ingest' | 'a' | 'b' | 'admin';
const ROLES: Role[] = ['none', 'ingest', 'a', 'b', 'admin'];
const KEY_OF: Record<Role, string | undefined> = {
  none: undefined,
  ingest: INGEST_KEY,
  a: TENANT_A_KEY,
  b: TENANT_B_KEY,
  admin: ADMIN_KEY,
};
const SECRETS = {
  a: 'webhook-secret-a-0123456789',
  b: 'webhook-secret-b-0123456789',
  all: 'webhook-secret-all-0123456789',
};
type Target = keyof typeof SECRETS;

let f: ApiFixture;
let hooks: {
  server: Server;
  url: string;
  received: { target: Target; headers: IncomingHttpHeaders; body: string }[];
};
let aReservation = '';
const sockets: Partial<Record<`${'ws' | 'alerts'}-${'a' | 'b' | 'admin'}`, TestSocket>> = {};

/** What about tenant A a tenant-B (or keyless, or ingest) caller must never be shown. */
function leaks(value: unknown, except: string): string[] {
  const found: string[] = [];
  const markers = ['secret-a', aReservation].filter((m) => m !== '' && !except.includes(m));
  const walk = (v: unknown, at: string) => {
    if (typeof v === 'string') {
      for (const m of markers) if (v.toLowerCase().includes(m)) found.push(`${at}: ${v.slice(0, 120)}`);
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}[${i}]`));
    else if (v !== null && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        if (k === 'tenant' && x === 'a') found.push(`${at}.tenant = a`);
        walk(x, `${at}.${k}`);
      }
  };
  walk(value, '$');
  return found;
}

async function webhookReceiver() {
  const received: { target: Target; headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ target: req.url!.slice(1) as Target, headers: req.headers, body });
      res.writeHead(200).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const clientOf = (role: Role): Client =>
  ({ none: f.anon, ingest: f.ingest, a: f.a, b: f.b, admin: f.admin })[role];
const usage = (id: string, tokens: number, scope: Record<string, string>) => ({
  records: [
    {
      id,
      time: Date.now(),
      provider: 'openai',
      operation: 'chat',
      requestModel: 'gpt-4o-mini',
      usage: { input: tokens, output: 0 },
      scope,
    },
  ],
});

/** Tenant A's state as the store has it: what B must not be able to change. */
async function stateOfA(): Promise<string> {
  const store = f.svc.context.engine.store;
  return JSON.stringify([
    await store.aggregateUsage({ from: 0, to: 8e12, filter: { tenant: 'a' }, groupBy: ['agent'] }),
    (await store.activeReservations()).filter((r) => r.request.scope.tenant === 'a').map((r) => r.id),
    f.svc.context.engine.budget('budget-secret-a')?.spec,
    (await store.loadOverrides()).filter((o) => o.budgetId === 'budget-secret-a'),
  ]);
}

beforeAll(async () => {
  hooks = await webhookReceiver();
  const hook = (target: Target, tenant?: string) => ({
    url: `${hooks.url}/${target}`,
    secret: SECRETS[target],
    ...(tenant ? { tenant } : {}),
    retryBaseMs: 10,
  });
  f = await startApi({
    // Everything the service could log, kept for the search at the end.
    log: { level: 'trace' },
    expirySweepMs: 100,
    webhooks: [hook('a', 'a'), hook('b', 'b'), hook('all')],
    budgets: [
      {
        id: 'budget-secret-a',
        resource: 'tokens',
        period: 'day',
        limit: 100,
        policy: 'WARN',
        selector: { tenant: 'a' },
        thresholds: [0.5],
      },
      {
        id: 'budget-b',
        resource: 'tokens',
        period: 'day',
        limit: 100,
        policy: 'WARN',
        selector: { tenant: 'b' },
        thresholds: [0.5],
      },
      {
        id: 'per-tenant',
        resource: 'tokens',
        period: 'day',
        limit: 100,
        policy: 'WARN',
        groupBy: ['tenant'],
        thresholds: [0.5],
      },
      {
        id: 'global',
        resource: 'requests',
        period: 'day',
        limit: 1_000_000,
        policy: 'WARN',
        thresholds: [0.9],
      },
    ],
  });
  for (const role of ['a', 'b', 'admin'] as const) {
    const headers = { authorization: `Bearer ${KEY_OF[role]}` };
    sockets[`ws-${role}`] = await connect(wsUrl(f.svc.apiUrl, '/ws'), headers);
    sockets[`alerts-${role}`] = await connect(wsUrl(f.svc.apiUrl, '/ws/alerts'), headers);
  }

  // ---- tenant A's activity, every kind of event ----
  expect(
    (
      await f.a.post(
        '/v1/usage',
        usage('rec-secret-a-1', 60, { agent: 'agent-secret-a', session: 'session-secret-a' }),
      )
    ).status,
  ).toBe(200);
  const r = await f.a.post('/v1/reservations', {
    idempotencyKey: 'idem-secret-a',
    scope: { agent: 'agent-secret-a' },
    estimate: { inputTokens: 1 },
    ttlMs: 60_000,
  });
  aReservation = r.body.reservation.id as string;
  const expiring = await f.a.post('/v1/reservations', {
    scope: { agent: 'agent-secret-a-expiring' },
    estimate: { inputTokens: 1 },
    ttlMs: 50,
  });
  expect(expiring.status).toBe(201);
  expect(
    (
      await f.admin.post('/v1/overrides', {
        budgetId: 'budget-secret-a',
        amount: 5,
        expiresAt: Date.now() + 3_600_000,
        reason: 'override-secret-a',
      })
    ).status,
  ).toBe(201);
  const span = tracesBody([
    {
      attributes: { 'service.name': 'agent-secret-a-otlp', 'bursar.scope.tenant': 'a' },
      spans: [chatSpan({ input: 3, output: 1, agent: 'agent-secret-a-otlp', tenant: 'a' })],
    },
  ]);
  expect(
    (await post(`${f.svc.otlpUrl}/v1/traces`, span, { headers: { authorization: `Bearer ${INGEST_KEY}` } }))
      .status,
  ).toBe(200);
  await until('A reservation expired', () =>
    sockets['alerts-a']!.messages.some((m) => m.type === 'reservation_expired'),
  );

  // ---- then B's: everything above was dispatched before it ----
  expect((await f.b.post('/v1/usage', usage('rec-b-1', 60, { agent: 'agent-b' }))).status).toBe(200);
});

afterAll(async () => {
  for (const s of Object.values(sockets)) await s?.close();
  await f?.svc.stop();
  hooks?.server.closeAllConnections();
  await new Promise((r) => hooks?.server.close(r));
});

describe('WebSocket streams and webhooks carry only what each subscriber may see', () => {
  it('/ws and /ws/alerts: A gets its events, B gets its own and nothing of A', async () => {
    const s = sockets as Required<typeof sockets>;
    // Positive controls: the events happened and reached those who may see them.
    await s['ws-a'].next((m) => m.type === 'usage' && JSON.stringify(m).includes('agent-secret-a'));
    await s['alerts-a'].next(
      (m) => m.type === 'threshold_crossed' && JSON.stringify(m).includes('budget-secret-a'),
    );
    await s['alerts-a'].next((m) => m.type === 'override_set');
    await s['alerts-admin'].next(
      (m) => m.type === 'threshold_crossed' && JSON.stringify(m).includes('budget-secret-a'),
    );
    // B's own events came after A's on the same connections.
    await s['ws-b'].next((m) => m.type === 'usage' && JSON.stringify(m).includes('agent-b'));
    await s['alerts-b'].next((m) => m.type === 'threshold_crossed' && JSON.stringify(m).includes('budget-b'));
    await s['ws-b'].next((m) => m.type === 'status');
    expect(leaks(s['ws-b'].messages, '')).toEqual([]);
    expect(leaks(s['alerts-b'].messages, '')).toEqual([]);
  });

  it('webhooks: the tenant-b webhook never carries tenant a; every delivery is signed with its own secret', async () => {
    const of = (t: Target) => hooks.received.filter((r) => r.target === t);
    await until('A threshold on its webhook', () => of('a').some((r) => r.body.includes('budget-secret-a')));
    await until('B threshold on its webhook', () => of('b').some((r) => r.body.includes('budget-b')));
    await until(
      'both on the unfiltered one',
      () =>
        of('all').some((r) => r.body.includes('budget-secret-a')) &&
        of('all').some((r) => r.body.includes('budget-b')),
    );
    for (const r of of('b')) expect(leaks(JSON.parse(r.body), '')).toEqual([]);
    expect(of('a').some((r) => r.body.includes('budget-b'))).toBe(false);
    for (const r of hooks.received) {
      const header = r.headers['bursar-signature'] as string;
      expect(verifySignature(SECRETS[r.target], header, r.body), r.target).toBe(true);
      // Another target's secret, or one changed byte, does not verify.
      for (const other of Object.keys(SECRETS) as Target[])
        if (other !== r.target) expect(verifySignature(SECRETS[other], header, r.body)).toBe(false);
      expect(verifySignature(SECRETS[r.target], header, r.body.replace(/"/, "'"))).toBe(false);
      expect(verifySignature(SECRETS[r.target], header, r.body, 300, Date.now() + 3_600_000)).toBe(false);
    }
  });
});

type Expect = [none: number, ingest: number, a: number, b: number, admin: number];
interface Row {
  surface: string;
  /** Sets up what the request needs (as the admin), before A's state is taken. */
  prepare?(): Promise<void>;
  run(role: Role): Promise<{ status: number; body: unknown; request: string }>;
  expect: Expect;
}

const rest =
  (method: 'get' | 'post' | 'put' | 'del', path: () => string, body?: () => unknown) =>
  async (role: Role) => {
    const c = clientOf(role);
    const p = path();
    const b = body?.();
    const r: Answer = method === 'get' || method === 'del' ? await c[method](p) : await c[method](p, b);
    return { status: r.status, body: r.body ?? r.text, request: `${p} ${JSON.stringify(b ?? '')}` };
  };

const otlp = (signal: 'traces' | 'metrics') => async (role: Role) => {
  const key = KEY_OF[role];
  const body =
    signal === 'traces'
      ? tracesBody([
          {
            attributes: { 'service.name': `matrix-${role}` },
            spans: [chatSpan({ input: 1, output: 1, tenant: 'a' })],
          },
        ])
      : Buffer.alloc(0);
  const r = await post(
    `${f.svc.otlpUrl}/v1/${signal}`,
    body,
    key ? { headers: { authorization: `Bearer ${key}` } } : {},
  );
  return { status: r.status, body: r.body.toString('latin1'), request: signal };
};

const ws = (path: string) => async (role: Role) => {
  const key = KEY_OF[role];
  const url = wsUrl(f.svc.apiUrl, path);
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  try {
    const s = await connect(url, headers);
    await s.close();
    return { status: 101, body: s.messages, request: path };
  } catch {
    const r = await refused(url, headers);
    return { status: r.status, body: r.body, request: path };
  }
};

const USE: Expect = [401, 403, 200, 200, 200];
const ADMIN_ONLY = (ok: number): Expect => [401, 403, 403, 403, ok];
const A_ONLY = (ok: number): Expect => [401, 403, ok, 403, ok];
const A_HIDDEN = (ok: number): Expect => [401, 403, ok, 404, ok];
let seq = 0;
const fresh = (p: string) => `${p}-${++seq}`;
const holdOfA = async () => {
  const r = await f.admin.post('/v1/reservations', {
    scope: { tenant: 'a', agent: 'agent-secret-a' },
    estimate: { inputTokens: 1 },
  });
  return r.body.reservation.id as string;
};
let held = '';

const ROWS: Row[] = [
  { surface: 'OTLP POST /v1/traces', run: otlp('traces'), expect: [401, 200, 403, 403, 200] },
  { surface: 'OTLP POST /v1/metrics', run: otlp('metrics'), expect: [401, 200, 403, 403, 200] },
  { surface: 'GET /metrics', run: rest('get', () => '/metrics'), expect: ADMIN_ONLY(200) },
  { surface: 'WS /ws', run: ws('/ws'), expect: [401, 403, 101, 101, 101] },
  { surface: 'WS /ws?tenant=a', run: ws('/ws?tenant=a'), expect: [401, 403, 101, 403, 101] },
  { surface: 'WS /ws/alerts', run: ws('/ws/alerts'), expect: [401, 403, 101, 101, 101] },
  { surface: 'WS /ws/alerts?tenant=a', run: ws('/ws/alerts?tenant=a'), expect: [401, 403, 101, 403, 101] },
  { surface: 'GET /healthz', run: rest('get', () => '/healthz'), expect: [200, 200, 200, 200, 200] },
  { surface: 'GET /readyz', run: rest('get', () => '/readyz'), expect: [200, 200, 200, 200, 200] },
  {
    surface: 'GET /openapi.json',
    run: rest('get', () => '/openapi.json'),
    expect: [200, 200, 200, 200, 200],
  },
  {
    surface: 'POST /v1/check',
    run: rest(
      'post',
      () => '/v1/check',
      () => ({ scope: { tenant: 'a' } }),
    ),
    expect: A_ONLY(200),
  },
  {
    surface: 'POST /v1/check',
    run: rest(
      'post',
      () => '/v1/check',
      () => ({ scope: { agent: 'agent-secret-a' } }),
    ),
    expect: USE,
  },
  {
    surface: 'POST /v1/reservations',
    run: rest(
      'post',
      () => '/v1/reservations',
      () => ({ scope: { tenant: 'a' }, estimate: { inputTokens: 1 } }),
    ),
    expect: A_ONLY(201),
  },
  {
    // A's idempotency key from another tenant: a new reservation of its own, never A's
    // replayed (A's reservation id is a marker). Released again, so later listings of B's
    // own reservations do not show the key B chose.
    surface: 'POST /v1/reservations',
    run: async (role) => {
      const answer = await rest(
        'post',
        () => '/v1/reservations',
        () => ({ idempotencyKey: 'idem-secret-a', estimate: { inputTokens: 1 } }),
      )(role);
      const id = (answer.body as { reservation?: { id: string } }).reservation?.id;
      if (answer.status === 201 && id !== aReservation) await clientOf(role).del(`/v1/reservations/${id}`);
      return answer;
    },
    expect: [401, 403, 201, 201, 201],
  },
  { surface: 'GET /v1/reservations', run: rest('get', () => '/v1/reservations'), expect: USE },
  {
    surface: 'GET /v1/reservations/{id}',
    run: async (role) => rest('get', () => `/v1/reservations/${aReservation}`)(role),
    expect: A_HIDDEN(200),
  },
  {
    surface: 'POST /v1/reservations/{id}/commit',
    prepare: async () => {
      held = await holdOfA();
    },
    run: rest(
      'post',
      () => `/v1/reservations/${held}/commit`,
      () => ({ usage: { input: 1 } }),
    ),
    expect: A_HIDDEN(200),
  },
  {
    surface: 'DELETE /v1/reservations/{id}',
    prepare: async () => {
      held = await holdOfA();
    },
    run: rest('del', () => `/v1/reservations/${held}`),
    expect: A_HIDDEN(200),
  },
  {
    surface: 'POST /v1/usage',
    run: rest(
      'post',
      () => '/v1/usage',
      () => usage(fresh('m'), 1, { tenant: 'a' }),
    ),
    expect: A_ONLY(200),
  },
  { surface: 'GET /v1/usage', run: rest('get', () => '/v1/usage?groupBy=tenant,agent,session'), expect: USE },
  { surface: 'GET /v1/usage', run: rest('get', () => '/v1/usage?tenant=a'), expect: A_ONLY(200) },
  { surface: 'GET /v1/usage/records', run: rest('get', () => '/v1/usage/records'), expect: USE },
  {
    surface: 'GET /v1/usage/records',
    run: rest('get', () => '/v1/usage/records?agent=agent-secret-a'),
    expect: USE,
  },
  { surface: 'GET /v1/budgets', run: rest('get', () => '/v1/budgets'), expect: USE },
  {
    surface: 'GET /v1/budgets/{id}',
    run: rest('get', () => '/v1/budgets/budget-secret-a'),
    expect: A_HIDDEN(200),
  },
  { surface: 'GET /v1/budgets/{id}', run: rest('get', () => '/v1/budgets/per-tenant'), expect: USE },
  {
    surface: 'PUT /v1/budgets/{id}',
    // The same spec again: only the admin may write it, and writing it changes nothing.
    run: rest(
      'put',
      () => '/v1/budgets/budget-secret-a',
      () => ({
        resource: 'tokens',
        period: 'day',
        limit: 100,
        policy: 'WARN',
        selector: { tenant: 'a' },
        thresholds: [0.5],
      }),
    ),
    expect: [401, 403, 403, 403, 200],
  },
  {
    surface: 'DELETE /v1/budgets/{id}',
    run: rest('del', () => `/v1/budgets/${fresh('nope')}`),
    expect: ADMIN_ONLY(404),
  },
  { surface: 'GET /v1/status', run: rest('get', () => '/v1/status'), expect: USE },
  // Another tenant's budget is not there for B: an empty list, as for a budget that is not.
  { surface: 'GET /v1/status', run: rest('get', () => '/v1/status?budgetId=budget-secret-a'), expect: USE },
  { surface: 'GET /v1/history', run: rest('get', () => '/v1/history'), expect: USE },
  { surface: 'GET /v1/reports/summary', run: rest('get', () => '/v1/reports/summary'), expect: USE },
  { surface: 'GET /v1/reports/optimize', run: rest('get', () => '/v1/reports/optimize'), expect: USE },
  {
    surface: 'POST /v1/overrides',
    run: rest(
      'post',
      () => '/v1/overrides',
      () => ({ budgetId: 'budget-secret-a', amount: 1000, expiresAt: Date.now() + 60_000, reason: 'grab' }),
    ),
    expect: ADMIN_ONLY(201),
  },
  { surface: 'GET /v1/overrides', run: rest('get', () => '/v1/overrides?includeExpired=true'), expect: USE },
  {
    surface: 'DELETE /v1/overrides/{id}',
    run: rest('del', () => `/v1/overrides/${fresh('none')}`),
    expect: ADMIN_ONLY(404),
  },
  { surface: 'GET /v1/prices', run: rest('get', () => '/v1/prices?origin=custom'), expect: USE },
  {
    surface: 'PUT /v1/prices/{model}',
    run: rest(
      'put',
      () => `/v1/prices/${fresh('m')}`,
      () => ({ input: 1, output: 1 }),
    ),
    expect: ADMIN_ONLY(200),
  },
  {
    surface: 'DELETE /v1/prices/{model}',
    run: rest('del', () => `/v1/prices/${fresh('gone')}`),
    expect: ADMIN_ONLY(404),
  },
  {
    surface: 'POST /v1/prices/import',
    run: rest(
      'post',
      () => '/v1/prices/import',
      () => ({ [fresh('lite')]: { input_cost_per_token: 1e-6, output_cost_per_token: 1e-6 } }),
    ),
    expect: ADMIN_ONLY(200),
  },
];

describe('every surface × every role', () => {
  it('covers every documented REST route', () => {
    const documented = Object.entries(f.documented.doc.paths).flatMap(([path, ms]) =>
      Object.keys(ms).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const covered = new Set(ROWS.map((r) => r.surface));
    expect(documented.filter((d) => !covered.has(d))).toEqual([]);
  });

  for (const row of ROWS) {
    it(`${row.surface} → ${row.expect.join(' / ')} for none / ingest / a / b / admin; B is shown nothing of A`, async () => {
      const got: Partial<Record<Role, number>> = {};
      for (const role of ROLES) {
        await row.prepare?.();
        const before = role === 'b' || role === 'none' || role === 'ingest' ? await stateOfA() : undefined;
        const answer = await row.run(role);
        got[role] = answer.status;
        if (role === 'b' || role === 'none' || role === 'ingest') {
          expect(leaks(answer.body, answer.request), `${row.surface} as ${role}`).toEqual([]);
          // Nothing B (or a keyless or ingest caller) did through the API changed A's state.
          if (!row.surface.startsWith('OTLP'))
            expect(await stateOfA(), `${row.surface} as ${role}`).toBe(before);
        }
      }
      expect(got).toEqual(Object.fromEntries(ROLES.map((r, i) => [r, row.expect[i]])));
    });
  }
});

describe('keys and secrets never reach the log', () => {
  it('after the whole run (trace level, good keys, wrong keys, keys in URLs), no key or secret is in any line', async () => {
    // Wrong keys close to real ones, and keys where they do not belong.
    const nearMisses = [`${ADMIN_KEY}x`, ADMIN_KEY.slice(0, -1), TENANT_A_KEY.toUpperCase()];
    for (const k of nearMisses)
      expect((await f.anon.get('/v1/status', { authorization: `Bearer ${k}` })).status).toBe(401);
    expect((await refused(wsUrl(f.svc.apiUrl, `/ws?access_token=${nearMisses[0]}`))).status).toBe(401);
    const s = await connect(wsUrl(f.svc.apiUrl, `/ws/alerts?access_token=${TENANT_A_KEY}`));
    await s.close();
    await post(`${f.svc.otlpUrl}/v1/traces`, Buffer.from([0xff]), {
      headers: { authorization: `Bearer ${INGEST_KEY}` },
    });
    const log = f.svc.logs.map((l) => JSON.stringify(l)).join('\n');
    expect(f.svc.logs.length).toBeGreaterThan(10);
    for (const secret of [
      ADMIN_KEY,
      TENANT_A_KEY,
      TENANT_B_KEY,
      INGEST_KEY,
      ...Object.values(SECRETS),
      ...nearMisses,
    ])
      expect(log.includes(secret), `log holds ${secret.slice(0, 6)}…`).toBe(false);
  });
});
