import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFixture, startApi } from './api-client.ts';

/**
 * Summary and optimize reports on a known workload. Shipped list prices (USD per 1M):
 * gpt-4o 2.50 in / 1.25 cache read / 10 out; gpt-4o-mini 0.15 / 0.075 / 0.60;
 * claude-opus-4-5 5 / 0.50 / 25; claude-sonnet-4-5 3 / 0.30 / 15; claude-haiku-4-5 1 / 0.10 / 5.
 */

const NOW = Date.parse('2026-11-20T12:00:00Z');
const rec = (id: string, model: string, provider: string, agent: string, usage: object) => ({
  id,
  time: NOW - 60_000,
  provider,
  operation: 'chat',
  requestModel: model,
  usage,
  scope: { agent, tenant: 'a' },
  durationMs: 1000,
});

let f: ApiFixture;
beforeAll(async () => {
  f = await startApi({}, { now: () => NOW });
  const r = await f.admin.post('/v1/usage', {
    records: [
      // 5000 × 2,500,000 + 1000 × 10,000,000 = 22,500,000,000 pico = 22,500,000 nano each
      rec('p-1', 'gpt-4o', 'openai', 'planner', { input: 5000, output: 1000 }),
      rec('p-2', 'gpt-4o', 'openai', 'planner', { input: 5000, output: 1000 }),
      // 10,000 × 5,000,000 + 20,000 × 500,000 + 2000 × 25,000,000 = 110,000,000,000 pico = 110,000,000 nano
      rec('c-1', 'claude-opus-4-5', 'anthropic', 'coder', { input: 30_000, cacheRead: 20_000, output: 2000 }),
    ],
  });
  expect(r.body.results.map((x: { cost: { nanoUsd: number } }) => x.cost.nanoUsd)).toEqual([
    22_500_000, 22_500_000, 110_000_000,
  ]);
});
afterAll(() => f.svc.stop());

describe('GET /v1/reports/summary', () => {
  it('totals, averages, by agent and by model, and a text report', async () => {
    const r = await f.admin.get('/v1/reports/summary');
    expect(r.status).toBe(200);
    f.documented.check('GET', '/v1/reports/summary', r);
    expect(r.body).toMatchObject({
      from: '2026-11-20T00:00:00.000Z',
      calls: 3,
      errors: 0,
      tokens: { input: 40_000, output: 4000, cacheRead: 20_000, cacheWrite: 0, reasoning: 0, total: 44_000 },
      cost: { nanoUsd: 155_000_000, usd: '0.155' },
      averages: {
        costNanoUsd: 51_666_667,
        costUsd: '0.051666667',
        inputTokens: 40_000 / 3,
        outputTokens: 4000 / 3,
        totalTokens: 44_000 / 3,
        durationMs: 1000,
      },
      cacheHitRatio: 0.5,
    });
    expect(
      r.body.byAgent.map((x: { group: { agent: string }; costUsd: string; calls: number }) => [
        x.group.agent,
        x.calls,
        x.costUsd,
      ]),
    ).toEqual([
      ['coder', 1, '0.11'],
      ['planner', 2, '0.045'],
    ]);
    expect(r.body.byModel.map((x: { group: { model: string } }) => x.group.model)).toEqual([
      'claude-opus-4-5',
      'gpt-4o',
    ]);
    const text = r.body.text as string;
    expect(text).toContain('cost     $0.155');
    expect(text).toContain('per call $0.051666667');
    expect(text).toMatch(/coder\s+1\s+30,000\s+2,000\s+\$0\.11\s+\$0\.11/);
    expect(text).toMatch(/planner\s+2\s+10,000\s+2,000\s+\$0\.045\s+\$0\.0225/);
  });
});

describe('GET /v1/reports/optimize', () => {
  it('suggests cheaper tiers, trimming and caching, each with its numbers', async () => {
    const r = await f.admin.get('/v1/reports/optimize');
    expect(r.status).toBe(200);
    f.documented.check('GET', '/v1/reports/optimize', r);
    const s = r.body.suggestions as { kind: string; model: string; estimatedSavingsNanoUsd: number }[];
    expect(s.map((x) => [x.kind, x.model, x.estimatedSavingsNanoUsd])).toEqual([
      // (30,000 − 20,000 threshold) × $5/M = 50,000,000 nano
      ['high_tokens_per_call', 'claude-opus-4-5', 50_000_000],
      // same mix on sonnet-4-5: 10,000 × 3,000,000 + 20,000 × 300,000 + 2000 × 15,000,000 = 66,000,000 nano
      ['cheaper_model', 'claude-opus-4-5', 110_000_000 - 66_000_000],
      // same mix on gpt-4o-mini: 10,000 × 150,000 + 2000 × 600,000 = 2,700,000 nano
      ['cheaper_model', 'gpt-4o', 45_000_000 - 2_700_000],
      // 30% of 10,000 input as cache reads: 3000 × (2,500,000 − 1,250,000) pico = 3,750,000 nano
      ['low_cache_hit_ratio', 'gpt-4o', 3_750_000],
    ]);
    const opus = r.body.suggestions[1];
    expect(opus).toMatchObject({
      provider: 'anthropic',
      calls: 1,
      costNanoUsd: 110_000_000,
      costUsd: '0.11',
      sameMixCostNanoUsd: 110_000_000,
      estimatedSavingsUsd: '0.044',
    });
    expect(opus.alternatives).toEqual([
      {
        model: 'claude-sonnet-4-5',
        costNanoUsd: 66_000_000,
        costUsd: '0.066',
        savingsNanoUsd: 44_000_000,
        savingsUsd: '0.044',
        savingsPercent: 40,
      },
      {
        model: 'claude-haiku-4-5',
        costNanoUsd: 22_000_000,
        costUsd: '0.022',
        savingsNanoUsd: 88_000_000,
        savingsUsd: '0.088',
        savingsPercent: 80,
      },
    ]);
    expect(opus.message).toContain('claude-sonnet-4-5 would cost $0.066 instead of $0.11');
    expect(r.body.suggestions[3]).toMatchObject({
      input: 10_000,
      cacheRead: 0,
      cacheHitRatio: 0,
      targetRatio: 0.3,
    });
    expect(r.body.suggestions[0]).toMatchObject({
      avgInputTokens: 30_000,
      avgOutputTokens: 2000,
      threshold: 20_000,
    });
  });

  it('takes thresholds from the query', async () => {
    const r = await f.admin.get('/v1/reports/optimize?highTokensPerCall=100000&minCacheHitRatio=0');
    expect(r.body.suggestions.map((x: { kind: string }) => x.kind)).toEqual([
      'cheaper_model',
      'cheaper_model',
    ]);
    const bad = await f.admin.get('/v1/reports/optimize?minCacheHitRatio=2');
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('minCacheHitRatio');
  });
});
