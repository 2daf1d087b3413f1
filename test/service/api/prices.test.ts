import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService } from '../../helpers/service.ts';
import { ADMIN_KEY, type ApiFixture, client, KEYS, startApi } from './api-client.ts';

/** The price catalog over HTTP, and what survives a restart with the same data directory. */

let f: ApiFixture;
beforeAll(async () => {
  f = await startApi({
    budgets: [{ id: 'spend', resource: 'cost_usd', period: 'month', limit: 100, policy: 'HARD_LIMIT' }],
  });
});
afterAll(() => f.svc.stop());

const requested = async (model: string, provider?: string) => {
  const r = await f.admin.post('/v1/check', {
    model,
    ...(provider ? { provider } : {}),
    estimate: { inputTokens: 1000, outputTokens: 1000 },
  });
  return r.body.budgets[0].requested as number;
};

describe('GET /v1/prices', () => {
  it('lists the shipped prices as exact USD-per-1M strings beside the integers', async () => {
    const r = await f.admin.get('/v1/prices?model=GPT-4o-mini&provider=openai');
    expect(r.status).toBe(200);
    f.documented.check('GET', '/v1/prices', r);
    expect(r.body.prices).toHaveLength(1);
    expect(r.body.prices[0]).toMatchObject({
      model: 'gpt-4o-mini',
      provider: 'openai',
      origin: 'shipped',
      usdPerMTok: { input: '0.15', cacheRead: '0.075', output: '0.60' },
      picoUsdPerToken: { input: 150_000, cacheRead: 75_000, output: 600_000 },
    });
    const all = await f.admin.get('/v1/prices');
    expect(all.body.prices.length).toBeGreaterThan(50);
    expect(all.body.version).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});

describe('PUT and DELETE /v1/prices/{model}', () => {
  it('sets a custom price that prices calls at once, and removes it', async () => {
    expect(await requested('house-llm')).toBe(0); // unpriced
    const r = await f.admin.put('/v1/prices/house-llm', { input: 2, output: 8, cacheRead: 0.5 });
    expect(r.status).toBe(200);
    f.documented.check('PUT', '/v1/prices/{model}', r);
    expect(r.body.version).toMatch(/\+custom\.[0-9a-f]{12}$/);
    expect(r.body.price).toMatchObject({
      model: 'house-llm',
      provider: '*',
      origin: 'custom',
      usdPerMTok: { input: '2.00', output: '8.00', cacheRead: '0.50' },
      picoUsdPerToken: { input: 2_000_000, output: 8_000_000, cacheRead: 500_000 },
    });
    // 1000 × 2,000,000 + 1000 × 8,000,000 = 10,000,000,000 pico = 10,000,000 nano
    expect(await requested('house-llm')).toBe(10_000_000);
    // A custom price of a shipped model wins over the shipped one.
    await f.admin.put('/v1/prices/gpt-4o-mini', { provider: 'openai', input: 1, output: 1 });
    expect(await requested('gpt-4o-mini', 'openai')).toBe(2_000_000);
    const del = await f.admin.del('/v1/prices/gpt-4o-mini?provider=openai');
    expect(del.status).toBe(200);
    f.documented.check('DELETE', '/v1/prices/{model}', del);
    expect(del.body.removed).toBe(1);
    // Back to the shipped $0.15 / $0.60: 150,000,000 + 600,000,000 pico = 750,000 nano
    expect(await requested('gpt-4o-mini', 'openai')).toBe(750_000);
    expect((await f.admin.del('/v1/prices/gpt-4o-mini')).status).toBe(404);
  });

  it('takes model names with a slash (percent-encoded)', async () => {
    const r = await f.admin.put(`/v1/prices/${encodeURIComponent('acme/llm-1')}`, { input: 1, output: 1 });
    expect(r.status).toBe(200);
    expect(r.body.price.model).toBe('acme/llm-1');
  });

  it('refuses bad prices with 400 naming the field', async () => {
    const cases: [string, unknown, string][] = [
      ['m1', { input: 0.000002, output: 1 }, 'input'],
      ['m1', { input: 1 }, 'output'],
      ['m1', { input: -1, output: 1 }, 'input'],
      ['m1', { input: 0, output: 0 }, 'input'],
      ['m1', { model: 'm2', input: 1, output: 1 }, 'model'],
      ['m1', { input: 1, output: 1, effectiveFrom: '2026-02-30' }, 'effectiveFrom'],
      ['m1', { input: 1, output: 1, colour: 'red' }, ''],
    ];
    for (const [model, body, field] of cases) {
      const r = await f.admin.put(`/v1/prices/${model}`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('invalid_request');
      if (field) expect(r.body.error.field, JSON.stringify(body)).toBe(field);
    }
    expect((await f.admin.get('/v1/prices?model=m1')).body.prices).toEqual([]);
  });
});

describe('POST /v1/prices/import', () => {
  it("imports LiteLLM's file, or nothing when one price is wrong", async () => {
    const file = {
      sample_spec: { input_cost_per_token: 0 },
      'lite-chat': {
        input_cost_per_token: 1e-6,
        output_cost_per_token: 3e-6,
        litellm_provider: 'openai',
        mode: 'chat',
      },
      'image-gen': { output_cost_per_image: 0.04, mode: 'image_generation' },
    };
    const r = await f.admin.post('/v1/prices/import?source=test%20copy', file);
    expect(r.status).toBe(200);
    f.documented.check('POST', '/v1/prices/import', r);
    expect(r.body).toMatchObject({ imported: 1, free: 0, skipped: 2, byMode: { chat: 1 } });
    // 1000 × 1,000,000 + 1000 × 3,000,000 pico = 4,000,000 nano
    expect(await requested('lite-chat', 'openai')).toBe(4_000_000);
    const listed = await f.admin.get('/v1/prices?model=lite-chat');
    expect(listed.body.prices[0]).toMatchObject({
      source: 'test copy',
      origin: 'custom',
      usdPerMTok: { input: '1.00', output: '3.00' },
    });

    const bad = await f.admin.post('/v1/prices/import', {
      'other-chat': { input_cost_per_token: 1e-6, output_cost_per_token: 5 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('["other-chat"].output_cost_per_token');
    expect((await f.admin.get('/v1/prices?model=other-chat')).body.prices).toEqual([]);
  });
});

describe('restart with the same data directory', () => {
  it('keeps budgets, usage and custom prices', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'bursar-api-restart-'));
    try {
      const first = await startTestService({ auth: KEYS, log: { level: 'warn' } }, { dataDir });
      const c1 = client(first.apiUrl, ADMIN_KEY);
      expect(
        (
          await c1.put('/v1/budgets/kept', {
            resource: 'tokens',
            period: 'total',
            limit: 1000,
            policy: 'WARN',
          })
        ).status,
      ).toBe(201);
      expect((await c1.put('/v1/prices/kept-llm', { input: 4, output: 4 })).status).toBe(200);
      const time = Date.now();
      const rec = await c1.post('/v1/usage', {
        records: [
          {
            id: 'k-1',
            time,
            provider: 'x',
            operation: 'chat',
            requestModel: 'kept-llm',
            usage: { input: 100, output: 50 },
          },
        ],
      });
      // 150 × 4,000,000 pico = 600,000 nano
      expect(rec.body.results[0].cost.nanoUsd).toBe(600_000);
      await first.stop();

      const second = await startTestService({ auth: KEYS, log: { level: 'warn' } }, { dataDir });
      try {
        const c2 = client(second.apiUrl, ADMIN_KEY);
        expect((await c2.get('/v1/budgets/kept')).body.spec).toMatchObject({ id: 'kept', limit: 1000 });
        expect((await c2.get('/v1/status?budgetId=kept')).body.budgets[0]).toMatchObject({ used: 150 });
        const usage = await c2.get(`/v1/usage/records?from=${new Date(time - 1000).toISOString()}`);
        expect(
          usage.body.records.map((r: { id: string; cost: { nanoUsd: number } }) => [r.id, r.cost.nanoUsd]),
        ).toEqual([['k-1', 600_000]]);
        const price = await c2.get('/v1/prices?model=kept-llm');
        expect(price.body.prices[0]).toMatchObject({
          origin: 'custom',
          usdPerMTok: { input: '4.00', output: '4.00' },
        });
        const check = await c2.post('/v1/check', { model: 'kept-llm', estimate: { inputTokens: 10 } });
        expect(check.body.unpriced).toBe(false);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses to start on a damaged prices.json, naming the file', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'bursar-api-prices-'));
    try {
      writeFileSync(
        path.join(dataDir, 'prices.json'),
        '{"format": "bursar-custom-prices", "version": 1, "prices": [{"model": "x"}]}',
      );
      await expect(startTestService({ log: { level: 'silent' } }, { dataDir })).rejects.toThrow(
        /prices\.json/,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
