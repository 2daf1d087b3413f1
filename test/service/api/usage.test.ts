import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFixture, startApi } from './api-client.ts';
import { csvObjects } from './csv-parse.ts';

/**
 * POST /v1/usage and the usage reads. Costs by hand from the shipped catalog:
 * gpt-4o-mini $0.15 / $0.075 cache read / $0.60 per 1M; claude-haiku-4-5 $1 in / $5 out.
 */

const NOW = Date.parse('2026-11-20T12:00:00Z');
const T = NOW - 3_600_000; // 11:00, the same day

const r1 = {
  id: 'u-1',
  time: T,
  provider: 'openai',
  operation: 'chat',
  requestModel: 'gpt-4o-mini',
  usage: { input: 1000, output: 200 },
  scope: { tenant: 'a', agent: 'planner' },
  durationMs: 800,
}; // 1000 × 150,000 + 200 × 600,000 = 270,000,000 pico = 270,000 nano
const r2 = {
  id: 'u-2',
  time: T,
  provider: 'openai',
  operation: 'chat',
  requestModel: 'gpt-4o-mini',
  usage: { input: 2000, cacheRead: 1000, output: 500 },
  scope: { tenant: 'b', agent: 'coder' },
  durationMs: 1200,
}; // 1000 × 150,000 + 1000 × 75,000 + 500 × 600,000 = 525,000,000 pico = 525,000 nano
const r3 = {
  id: 'u-3',
  time: T + 1000,
  provider: 'anthropic',
  operation: 'chat',
  requestModel: 'claude-haiku-4-5-20251001',
  usage: { input: 1000, output: 100 },
  scope: { tenant: 'a', agent: 'planner' },
  durationMs: 400,
}; // 1000 × 1,000,000 + 100 × 5,000,000 = 1,500,000,000 pico = 1,500,000 nano
const r4 = { ...r1, id: 'u-4', time: T + 2000 };

const RANGE = 'from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z';

let f: ApiFixture;
beforeAll(async () => {
  f = await startApi({}, { now: () => NOW });
  const first = await f.admin.post('/v1/usage', { records: [r1, r2, r3] });
  expect(first.status).toBe(200);
  f.documented.check('POST', '/v1/usage', first);
  expect(first.body).toMatchObject({ accepted: 3, duplicates: 0 });
  expect(first.body.results.map((r: { cost: { nanoUsd: number } }) => r.cost.nanoUsd)).toEqual([
    270_000, 525_000, 1_500_000,
  ]);
  expect(first.body.results[2].cost).toMatchObject({ usd: '0.0015', priceModel: 'claude-haiku-4-5' });
});
afterAll(() => f.svc.stop());

describe('POST /v1/usage', () => {
  it('is idempotent by record id', async () => {
    const r = await f.admin.post('/v1/usage', { records: [r1, r4] });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ accepted: 1, duplicates: 1 });
    expect(r.body.results.map((x: { id: string; duplicate: boolean }) => [x.id, x.duplicate])).toEqual([
      ['u-1', true],
      ['u-4', false],
    ]);
  });

  it('rejects the whole batch when one record is bad, naming records.N.field', async () => {
    const good = { ...r1, id: 'never-1' };
    const cases: [unknown, string][] = [
      [{ records: [good, { ...r1, id: 'never-2', usage: { input: -1 } }] }, 'records.1.usage.input'],
      [{ records: [good, { ...r1, id: 'never-3', time: 1_700_000_000 }] }, 'records.1.time'],
      [{ records: [{ ...r1, id: 'never-4', usage: { input: 5, cacheRead: 9 } }] }, 'records.0.cacheRead'],
      [{ records: [{ ...r1, id: 'never-5', scope: { 'Bad-Label': 'x' } }] }, 'records.0.scope.Bad-Label'],
      [{ records: [] }, 'records'],
      [{ record: [good] }, ''],
    ];
    for (const [body, field] of cases) {
      const r = await f.admin.post('/v1/usage', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('invalid_request');
      if (field) expect(r.body.error.field).toBe(field);
    }
    const page = await f.admin.get(`/v1/usage/records?${RANGE}`);
    expect(page.body.records.map((r: { id: string }) => r.id)).not.toContain('never-1');
  });
});

describe('GET /v1/usage', () => {
  it('groups by model with exact totals and averages', async () => {
    const r = await f.admin.get(`/v1/usage?${RANGE}&groupBy=model`);
    expect(r.status).toBe(200);
    f.documented.check('GET', '/v1/usage', r);
    expect(r.body.from).toBe('2026-11-20T00:00:00.000Z');
    expect(r.body.groupBy).toEqual(['model']);
    expect(
      r.body.rows.map((x: { group: object; calls: number; costNanoUsd: number }) => [
        x.group,
        x.calls,
        x.costNanoUsd,
      ]),
    ).toEqual([
      [{ model: 'claude-haiku-4-5-20251001' }, 1, 1_500_000],
      [{ model: 'gpt-4o-mini' }, 3, 270_000 + 525_000 + 270_000],
    ]);
    const mini = r.body.rows[1];
    expect(mini).toMatchObject({
      input: 4000,
      output: 900,
      cacheRead: 1000,
      totalTokens: 4900,
      costUsd: '0.001065',
      avgCostNanoUsd: 355_000,
      avgCostUsd: '0.000355',
      cacheHitRatio: 0.25,
      durationMs: 2800,
    });
    expect(r.body.total).toMatchObject({
      calls: 4,
      costNanoUsd: 2_565_000,
      costUsd: '0.002565',
      input: 5000,
    });
  });

  it('groups by several fields, filters, and keeps the top rows plus other', async () => {
    const r = await f.admin.get(`/v1/usage?${RANGE}&groupBy=agent,tenant&provider=openai`);
    expect(r.body.rows.map((x: { group: object; costNanoUsd: number }) => [x.group, x.costNanoUsd])).toEqual([
      [{ agent: 'planner', tenant: 'a' }, 540_000],
      [{ agent: 'coder', tenant: 'b' }, 525_000],
    ]);
    const top = await f.admin.get(`/v1/usage?${RANGE}&groupBy=agent&top=1`);
    expect(top.body.rows).toHaveLength(1);
    expect(top.body.other).toMatchObject({ group: { agent: '(other)' }, costNanoUsd: 525_000 });
    f.documented.check('GET', '/v1/usage', top);
  });

  it('defaults to the current day of the service clock', async () => {
    const r = await f.admin.get('/v1/usage');
    expect(r.body.from).toBe('2026-11-20T00:00:00.000Z');
    expect(r.body.total.calls).toBe(4);
  });

  it('answers CSV for format=csv and for Accept: text/csv', async () => {
    for (const r of [
      await f.admin.get(`/v1/usage?${RANGE}&groupBy=provider,model&format=csv`),
      await f.admin.get(`/v1/usage?${RANGE}&groupBy=provider,model`, { accept: 'text/csv' }),
    ]) {
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
      const rows = csvObjects(r.text);
      expect(rows).toEqual([
        expect.objectContaining({
          provider: 'anthropic',
          model: 'claude-haiku-4-5-20251001',
          calls: '1',
          costNanoUsd: '1500000',
          costUsd: '0.0015',
        }),
        expect.objectContaining({
          provider: 'openai',
          model: 'gpt-4o-mini',
          calls: '3',
          input: '4000',
          cacheRead: '1000',
          costUsd: '0.001065',
        }),
      ]);
    }
  });

  it('refuses bad queries with 400 naming the parameter', async () => {
    const cases: [string, string][] = [
      ['groupBy=colour', 'groupBy'],
      ['groupBy=model,model,model,model,model', 'groupBy'],
      ['period=day&from=2026-11-20', 'period'],
      ['from=2026-11-21&to=2026-11-20', 'to'],
      ['from=yesterday', 'from'],
      ['top=0', 'top'],
      ['timeZone=Mars/Olympus', 'timeZone'],
      ['format=xml', 'format'],
    ];
    for (const [q, field] of cases) {
      const r = await f.admin.get(`/v1/usage?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error.field, q).toBe(field);
    }
    const unknown = await f.admin.get('/v1/usage?grupBy=model');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain('grupBy');
  });
});

describe('GET /v1/usage/records', () => {
  it('pages through records sharing a millisecond without repeats or gaps', async () => {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await f.admin.get(`/v1/usage/records?${RANGE}&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      f.documented.check('GET', '/v1/usage/records', r);
      ids.push(...r.body.records.map((x: { id: string }) => x.id));
      cursor = r.body.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 10);
    expect(ids).toEqual(['u-1', 'u-2', 'u-3', 'u-4']);
    const all = await f.admin.get(`/v1/usage/records?${RANGE}`);
    expect(all.body.records[1]).toMatchObject({
      id: 'u-2',
      time: '2026-11-20T11:00:00.000Z',
      usage: { input: 2000, cacheRead: 1000, output: 500, cacheWrite: 0, cacheWrite1h: 0, reasoning: 0 },
      scope: { tenant: 'b', agent: 'coder' },
      cost: { nanoUsd: 525_000, usd: '0.000525' },
    });
    expect(all.body.nextCursor).toBeNull();
    const bad = await f.admin.get('/v1/usage/records?cursor=nonsense');
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('cursor');
  });

  it('exports CSV with the next cursor in a header', async () => {
    const r = await f.admin.get(`/v1/usage/records?${RANGE}&limit=3&format=csv`);
    const rows = csvObjects(r.text);
    expect(rows.map((x) => [x.id, x.costNanoUsd, x.scope])).toEqual([
      ['u-1', '270000', '{"tenant":"a","agent":"planner"}'],
      ['u-2', '525000', '{"tenant":"b","agent":"coder"}'],
      ['u-3', '1500000', '{"tenant":"a","agent":"planner"}'],
    ]);
    const next = r.headers.get('x-next-cursor');
    expect(next).toBeTruthy();
    const rest = await f.admin.get(`/v1/usage/records?${RANGE}&format=csv&cursor=${next}`);
    expect(csvObjects(rest.text).map((x) => x.id)).toEqual(['u-4']);
  });
});
