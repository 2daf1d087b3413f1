import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.ts';
import { RedisServer } from './redis-server.ts';

// Two replicas on one Redis: a budget or override changed through one applies on the other.
let redis: RedisServer;
let a: TestService;
let b: TestService;
beforeAll(async () => {
  redis = await RedisServer.start();
  const config = { store: { kind: 'redis' as const, redis: { url: redis.url } }, budgetReloadMs: 100 };
  a = await startTestService(config);
  b = await startTestService(config);
});
afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await redis?.stop();
});

async function json(
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; body: { allowed?: boolean } }> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as { allowed?: boolean } };
}

/** Polls (bounded) until `check` holds; the reload period is 100 ms. */
async function eventually(check: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe('replicas sharing Redis', () => {
  it('apply a budget created, changed and deleted through another replica', async () => {
    const spec = {
      resource: 'requests',
      period: 'day',
      limit: 1,
      policy: 'HARD_LIMIT',
      selector: { tenant: 'acme' },
    };
    expect((await json('PUT', `${a.apiUrl}/v1/budgets/acme-calls`, spec)).status).toBe(201);
    const seen = await eventually(
      async () => (await json('GET', `${b.apiUrl}/v1/budgets/acme-calls`)).status === 200,
    );
    expect(seen).toBe(true);
    const reserve = { scope: { tenant: 'acme' }, estimate: { inputTokens: 1 } };
    expect((await json('POST', `${b.apiUrl}/v1/reservations`, reserve)).status).toBe(201);
    // The limit of 1 is now held on Redis: replica a denies the next call.
    expect((await json('POST', `${a.apiUrl}/v1/reservations`, reserve)).status).toBe(402);
    // An override set on a raises the limit on b too.
    const o = await json('POST', `${a.apiUrl}/v1/overrides`, {
      budgetId: 'acme-calls',
      amount: 1,
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      reason: 'test',
      author: 'test',
    });
    expect(o.status).toBe(201);
    expect(
      await eventually(
        async () => (await json('POST', `${b.apiUrl}/v1/check`, reserve)).body.allowed === true,
      ),
    ).toBe(true);
    expect((await json('DELETE', `${a.apiUrl}/v1/budgets/acme-calls`)).status).toBe(200);
    expect(
      await eventually(async () => (await json('GET', `${b.apiUrl}/v1/budgets/acme-calls`)).status === 404),
    ).toBe(true);
  });
});
