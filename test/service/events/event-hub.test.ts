import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setOverride } from '../../../src/budget/overrides.ts';
import { createEventHub } from '../../../src/service/events/event-hub.ts';
import type { UsageRecordInput } from '../../../src/usage/usage-record.ts';
import { TEST_PRICES } from '../../helpers/engine.ts';
import { startTestService, type TestService } from '../../helpers/service.ts';
import { WebSocket } from 'ws';
import { connect, refused, wsUrl } from './ws-client.ts';

const ADMIN = 'admin-key-0123456789';
const ACME = 'acme-key-0123456789x';
const INGEST = 'ingest-key-0123456789';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

let s: TestService;
beforeAll(async () => {
  s = await startTestService({
    auth: {
      keys: [
        { name: 'ops', key: ADMIN, role: 'admin' },
        { name: 'acme', key: ACME, role: 'tenant', tenant: 'acme' },
        { name: 'collector', key: INGEST, role: 'ingest' },
      ],
    },
    budgets: [
      { id: 'global', resource: 'tokens', period: 'day', limit: 1_000_000, policy: 'WARN' },
      {
        id: 'per-tenant',
        groupBy: ['tenant'],
        resource: 'tokens',
        period: 'day',
        limit: 1000,
        policy: 'WARN',
        thresholds: [0.5, 0.9],
      },
      {
        id: 'acme-only',
        selector: { tenant: 'acme' },
        resource: 'requests',
        period: 'day',
        limit: 100,
        policy: 'WARN',
      },
    ],
  });
  s.context.catalog.setCustom(TEST_PRICES['test-model']!);
});
afterAll(() => s.stop());

let seq = 0;
function usage(scope: Record<string, string>, input: number): UsageRecordInput {
  seq += 1;
  return {
    id: `ws-${seq}`,
    time: Date.now(),
    provider: 'openai',
    operation: 'chat',
    requestModel: 'test-model',
    usage: { input, output: 0 },
    scope,
  };
}

describe('/ws', () => {
  it('streams usage filtered by scope, and budget status on change', async () => {
    const all = await connect(wsUrl(s.apiUrl, '/ws'), bearer(ADMIN));
    const planner = await connect(wsUrl(s.apiUrl, '/ws?tenant=globex&agent=planner'), bearer(ADMIN));
    await s.context.engine.record([
      usage({ tenant: 'globex', agent: 'planner' }, 10),
      usage({ tenant: 'globex', agent: 'coder' }, 20),
      usage({ tenant: 'initech' }, 30),
    ]);
    const last = await all.next(
      (m) => m.type === 'usage' && (m.scope as Record<string, string>).tenant === 'initech',
    );
    expect(last.tokens).toEqual({ input: 30, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 });
    expect(last.costUsd).toBe(0.00003);
    expect(all.messages.filter((m) => m.type === 'usage')).toHaveLength(3);

    const mine = await planner.next((m) => m.type === 'usage');
    expect(mine).toMatchObject({
      provider: 'openai',
      model: 'test-model',
      scope: { tenant: 'globex', agent: 'planner' },
    });
    // Status follows on change: the per-tenant row for globex now shows its 30 tokens.
    const status = await all.next(
      (m) =>
        m.type === 'status' &&
        (m.budgets as { budgetId: string; group: string; used: number }[]).some(
          (b) => b.budgetId === 'per-tenant' && b.group === 'globex' && b.used === 30,
        ),
    );
    expect((status.budgets as { budgetId: string }[]).map((b) => b.budgetId)).toContain('global');
    await all.close();
    expect(planner.messages.filter((m) => m.type === 'usage')).toHaveLength(1);
    await planner.close();
  });

  it('a tenant key only ever receives its own tenant, with or without a filter', async () => {
    const acme = await connect(wsUrl(s.apiUrl, '/ws'), bearer(ACME));
    expect(acme.messages[0]).toMatchObject({ type: 'ready', filter: { tenant: 'acme' } });
    // A browser passes the key in the query string.
    const browser = await connect(wsUrl(s.apiUrl, `/ws?tenant=acme&access_token=${ACME}`));
    const greeting = await acme.next((m) => m.type === 'status');
    const rows = greeting.budgets as { budgetId: string; group: string }[];
    // Budgets pinned to acme, and acme's own group of per-tenant; never the global budget.
    expect(
      rows.every((b) => b.budgetId === 'acme-only' || (b.budgetId === 'per-tenant' && b.group === 'acme')),
    ).toBe(true);
    expect(rows.map((b) => b.budgetId)).toContain('acme-only');

    await s.context.engine.record([usage({ tenant: 'globex' }, 1), usage({ tenant: 'acme' }, 2)]);
    const got = await acme.next((m) => m.type === 'usage');
    expect(got.scope).toEqual({ tenant: 'acme' });
    await browser.next((m) => m.type === 'usage');
    await s.context.engine.record([usage({ tenant: 'globex' }, 3)]);
    const status = await acme.next(
      (m) =>
        m.type === 'status' &&
        (m.budgets as { budgetId: string; used: number }[]).some(
          (b) => b.budgetId === 'per-tenant' && b.used === 2,
        ),
    );
    expect((status.budgets as { group: string }[]).every((b) => b.group === 'acme' || b.group === '')).toBe(
      true,
    );
    expect(
      acme.messages.filter((m) => m.type === 'usage').map((m) => (m.scope as { tenant: string }).tenant),
    ).toEqual(['acme']);
    await acme.close();
    await browser.close();
  });

  it('refuses bad keys (401), other tenants and ingest keys (403), bad paths (404) and filters (400)', async () => {
    const noKey = await refused(wsUrl(s.apiUrl, '/ws'));
    expect(noKey.status).toBe(401);
    expect(noKey.headers['www-authenticate']).toBe('Bearer');
    expect((await refused(wsUrl(s.apiUrl, '/ws'), bearer('not-a-key-0123456789'))).status).toBe(401);
    expect((await refused(wsUrl(s.apiUrl, '/ws?access_token=not-a-key-0123456789'))).status).toBe(401);
    const other = await refused(wsUrl(s.apiUrl, '/ws?tenant=globex'), bearer(ACME));
    expect(other.status).toBe(403);
    expect(other.body.error).toMatchObject({ code: 'forbidden', field: 'tenant' });
    expect((await refused(wsUrl(s.apiUrl, '/ws/alerts?tenant=globex'), bearer(ACME))).status).toBe(403);
    expect((await refused(wsUrl(s.apiUrl, '/ws'), bearer(INGEST))).status).toBe(403);
    const path = await refused(wsUrl(s.apiUrl, '/ws/nope'), bearer(ADMIN));
    expect(path.status).toBe(404);
    expect(path.body.error.message).toContain('/ws/alerts');
    const unknown = await refused(wsUrl(s.apiUrl, '/ws?colour=blue'), bearer(ADMIN));
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 'bad_filter', field: 'colour' });
    expect((await refused(wsUrl(s.apiUrl, '/ws?tenant=a&tenant=b'), bearer(ADMIN))).status).toBe(400);
    expect((await refused(wsUrl(s.apiUrl, '/ws?tenant='), bearer(ADMIN))).body.error.field).toBe('tenant');
    // The key given in the query string never reaches a log line.
    expect(JSON.stringify(s.logs)).not.toContain('not-a-key-0123456789');
    expect(JSON.stringify(s.logs)).not.toContain(ACME);
  });
});

describe('/ws/alerts', () => {
  it('delivers threshold crossings, exceeded budgets and overrides to the tenants they concern', async () => {
    const admin = await connect(wsUrl(s.apiUrl, '/ws/alerts'), bearer(ADMIN));
    const acme = await connect(wsUrl(s.apiUrl, '/ws/alerts'), bearer(ACME));
    await s.context.engine.record([usage({ tenant: 'umbrella' }, 600)]);
    const crossed = await admin.next((m) => m.type === 'threshold_crossed' && m.group === 'umbrella');
    expect(crossed).toMatchObject({
      budgetId: 'per-tenant',
      threshold: 0.5,
      used: 600,
      limit: 1000,
      resource: 'tokens',
      groupLabels: { tenant: 'umbrella' },
    });
    await s.context.engine.record([usage({ tenant: 'umbrella' }, 500)]);
    await admin.next((m) => m.type === 'budget_exceeded' && m.group === 'umbrella');

    await s.context.engine.record([usage({ tenant: 'acme' }, 950)]);
    const own = await acme.next((m) => m.type === 'threshold_crossed' && m.threshold === 0.9);
    expect(own.group).toBe('acme');
    await setOverride(s.context.engine, {
      budgetId: 'per-tenant',
      group: 'acme',
      amount: 500,
      expiresAt: Date.now() + 60_000,
      reason: 'demo day',
      author: 'ops',
    });
    const override = await acme.next((m) => m.type === 'override_set');
    expect(override).toMatchObject({
      budgetId: 'per-tenant',
      group: 'acme',
      amount: 500,
      reason: 'demo day',
    });
    await admin.next((m) => m.type === 'override_set');
    expect(acme.messages.some((m) => m.group === 'umbrella')).toBe(false);
    await admin.close();
    await acme.close();
  });

  it('reports expired reservations to the tenant that made them', async () => {
    const acme = await connect(wsUrl(s.apiUrl, '/ws/alerts'), bearer(ACME));
    const r = await s.context.engine.reserve({
      scope: { tenant: 'acme' },
      model: 'test-model',
      estimate: { inputTokens: 5 },
      ttlMs: 1,
    });
    const expired = await acme.next((m) => m.type === 'reservation_expired');
    expect(expired).toMatchObject({
      reservationId: r.reservation!.id,
      scope: { tenant: 'acme' },
      model: 'test-model',
    });
    await acme.close();
  });
});

describe('slow clients', () => {
  it('a client that stops reading is dropped once its send buffer passes the bound', async () => {
    const hub = createEventHub(s.context, { maxBufferedBytes: 64 * 1024 });
    const server = createServer().on('upgrade', hub.handleUpgrade);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    // A raw client: completes the handshake, then never reads again.
    const socket = tcpConnect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      `GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${ADMIN}\r\n\r\n`,
    );
    const [head] = (await once(socket, 'data')) as [Buffer];
    expect(head.toString()).toMatch(/^HTTP\/1.1 101/);
    socket.pause();
    const stats = s.context.stats;
    const before = stats.wsDropped.get('/ws slow') ?? 0;
    // Usage flows until the kernel buffers and then the 64 KiB bound are full.
    for (let i = 0; i < 400 && (stats.wsDropped.get('/ws slow') ?? 0) === before; i++) {
      await s.context.engine.record(
        Array.from({ length: 250 }, () => usage({ tenant: 'flood', agent: 'x'.repeat(200) }, 1)),
      );
    }
    expect(stats.wsDropped.get('/ws slow')).toBe(before + 1);
    socket.destroy();
    await hub.close();
    server.close();
  });
});

describe('heartbeat', () => {
  it('drops a client that stops answering pings, on the period set by websocket.heartbeatMs', async () => {
    const h = await startTestService({ websocket: { heartbeatMs: 200 } });
    try {
      const alive = await connect(wsUrl(h.apiUrl, '/ws'));
      const silent = new WebSocket(wsUrl(h.apiUrl, '/ws/alerts'), { autoPong: false });
      let pings = 0;
      silent.on('ping', () => (pings += 1));
      const [code] = (await once(silent, 'close')) as [number];
      // Terminated without a close frame: 1006, after the unanswered ping.
      expect(code).toBe(1006);
      expect(pings).toBeGreaterThanOrEqual(1);
      expect(h.context.stats.wsDropped.get('/ws/alerts unresponsive')).toBe(1);
      expect(h.context.stats.wsDropped.get('/ws unresponsive')).toBeUndefined();
      expect(alive.ws.readyState).toBe(WebSocket.OPEN);
      await alive.close();
    } finally {
      await h.stop();
    }
  });
});
