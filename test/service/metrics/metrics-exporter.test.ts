import { afterEach, describe, expect, it } from 'vitest';
import { setOverride } from '../../../src/budget/overrides.ts';
import type { ServiceConfigInput } from '../../../src/service/config/config-schema.ts';
import type { UsageRecordInput } from '../../../src/usage/usage-record.ts';
import { TEST_PRICES } from '../../helpers/engine.ts';
import { startTestService, type TestService } from '../../helpers/service.ts';
import { parseExposition, promtoolCheckMetrics, seriesOf, valueOf } from './exposition.ts';

const ADMIN = 'admin-key-0123456789';
const TENANT = 'tenant-key-0123456789';
const INGEST = 'ingest-key-0123456789';
const KEYS = [
  { name: 'ops', key: ADMIN, role: 'admin' as const },
  { name: 'acme', key: TENANT, role: 'tenant' as const, tenant: 'acme' },
  { name: 'collector', key: INGEST, role: 'ingest' as const },
];

let service: TestService | undefined;
afterEach(async () => {
  await service?.stop();
  service = undefined;
});

/** A service with the test price list ($1/M input, $2/M output for test-model). */
async function start(input: ServiceConfigInput, now?: () => number): Promise<TestService> {
  service = await startTestService(
    { ...input, metrics: { statusCacheMs: 0, ...input.metrics } },
    now ? { now } : {},
  );
  service.context.catalog.setCustom(TEST_PRICES['test-model']!);
  return service;
}

let seq = 0;
function usage(
  scope: Record<string, string>,
  input: number,
  output: number,
  extra: Partial<UsageRecordInput> = {},
) {
  seq += 1;
  return {
    id: `rec-${seq}`,
    time: service!.context.engine.now(),
    provider: 'openai',
    operation: 'chat',
    requestModel: 'test-model',
    usage: { input, output },
    scope,
    durationMs: 100,
    ...extra,
  } satisfies UsageRecordInput;
}

async function scrape(s: TestService, key?: string) {
  const res = await fetch(`${s.apiUrl}/metrics`, key ? { headers: { authorization: `Bearer ${key}` } } : {});
  const text = await res.text();
  return { res, text, samples: res.status === 200 ? parseExposition(text) : [] };
}

describe('/metrics', () => {
  it('reports exactly what was recorded: tokens, exact USD cost, requests, unpriced tokens', async () => {
    const s = await start({ metrics: { labels: ['tenant', 'agent'] } });
    await s.context.engine.record([
      // $0.1 each: three of them are exactly $0.3, not the float sum 0.30000000000000004.
      usage({ tenant: 'acme', agent: 'planner' }, 100_000, 0),
      usage({ tenant: 'acme', agent: 'planner' }, 100_000, 0),
      usage({ tenant: 'acme', agent: 'planner' }, 60_000, 20_000, {
        usage: { input: 60_000, output: 20_000, cacheRead: 1000, reasoning: 500 },
      }),
      usage({ tenant: 'globex' }, 10, 5, { errorType: 'timeout' }),
      usage({ tenant: 'globex' }, 7, 3, { requestModel: 'no-such-model' }),
    ]);
    const { res, samples } = await scrape(s);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const planner = { provider: 'openai', model: 'test-model', tenant: 'acme', agent: 'planner' };
    expect(valueOf(samples, 'bursar_tokens_total', { ...planner, token_type: 'input' })).toBe(260_000);
    expect(valueOf(samples, 'bursar_tokens_total', { ...planner, token_type: 'output' })).toBe(20_000);
    expect(valueOf(samples, 'bursar_tokens_total', { ...planner, token_type: 'cache_read' })).toBe(1000);
    expect(valueOf(samples, 'bursar_tokens_total', { ...planner, token_type: 'reasoning' })).toBe(500);
    expect(
      valueOf(samples, 'bursar_tokens_total', { ...planner, token_type: 'cache_write' }),
    ).toBeUndefined();
    // 260k input at $1/M, of which 1000 cache reads priced as input, + 20k output at $2/M.
    expect(valueOf(samples, 'bursar_cost_usd_total', planner)).toBe(0.3);
    expect(
      valueOf(samples, 'bursar_cost_usd_total', {
        provider: 'openai',
        model: 'test-model',
        tenant: 'globex',
      }),
    ).toBe(0.00002);
    expect(
      valueOf(samples, 'bursar_requests_total', {
        provider: 'openai',
        model: 'test-model',
        operation: 'chat',
        outcome: 'success',
      }),
    ).toBe(3);
    expect(
      valueOf(samples, 'bursar_requests_total', {
        provider: 'openai',
        model: 'test-model',
        operation: 'chat',
        outcome: 'error',
      }),
    ).toBe(1);
    expect(
      valueOf(samples, 'bursar_unpriced_tokens_total', { provider: 'openai', model: 'no-such-model' }),
    ).toBe(10);
    expect(seriesOf(samples, 'bursar_unpriced_tokens_total')).toHaveLength(1);
  });

  it('caps each label: values past metrics.maxValuesPerLabel are reported as __overflow__', async () => {
    let t = Date.UTC(2026, 4, 12, 10);
    const s = await start(
      {
        metrics: { labels: ['tenant'], maxValuesPerLabel: 2 },
        budgets: [
          {
            id: 'per-tenant',
            groupBy: ['tenant'],
            resource: 'tokens',
            period: 'day',
            limit: 1000,
            policy: 'WARN',
          },
        ],
      },
      () => t,
    );
    await s.context.engine.record(['a', 'b', 'c', 'd', 'a'].map((tenant) => usage({ tenant }, 10, 0)));
    let { samples } = await scrape(s);
    const tokens = (tenant: string) =>
      valueOf(samples, 'bursar_tokens_total', {
        provider: 'openai',
        model: 'test-model',
        token_type: 'input',
        tenant,
      });
    expect(tokens('a')).toBe(20);
    expect(tokens('b')).toBe(10);
    expect(tokens('__overflow__')).toBe(20);
    expect(tokens('c')).toBeUndefined();
    expect(valueOf(samples, 'bursar_metric_label_overflow_total', { label: 'tenant' })).toBe(2);
    // Budget groups are capped the same way; the overflow series sums the groups past the cap.
    const g = (name: string, group: string) =>
      valueOf(samples, name, { budget: 'per-tenant', resource: 'tokens', period: 'day', group });
    expect(g('bursar_budget_used', 'a')).toBe(20);
    expect(g('bursar_budget_used', '__overflow__')).toBe(20);
    expect(g('bursar_budget_limit', '__overflow__')).toBe(2000);
    expect(g('bursar_budget_utilization_ratio', '__overflow__')).toBe(0.01);
    expect(seriesOf(samples, 'bursar_budget_used')).toHaveLength(3);

    // The next day other tenants spend: yesterday's groups are gone from the gauges and
    // their slots go to the new ones (usage counters keep their first values for good).
    t += 86_400_000;
    await s.context.engine.record(['e', 'f', 'e', 'a'].map((tenant) => usage({ tenant }, 5, 0)));
    ({ samples } = await scrape(s));
    expect(g('bursar_budget_used', 'e')).toBe(10);
    expect(g('bursar_budget_used', 'a')).toBe(5);
    expect(g('bursar_budget_used', '__overflow__')).toBe(5);
    expect(g('bursar_budget_used', 'b')).toBeUndefined();
    expect(tokens('__overflow__')).toBe(35);
  });

  it('per-budget gauges come from the engine status; consumed, decisions, thresholds and reservations are counted', async () => {
    let t = Date.UTC(2026, 4, 12, 10, 0, 0);
    const s = await start(
      {
        budgets: [
          {
            id: 'monthly',
            resource: 'cost_usd',
            period: 'month',
            limit: 10,
            policy: 'HARD_LIMIT',
            thresholds: [0.5, 1],
          },
          {
            id: 'hourly-tokens',
            resource: 'tokens',
            period: 'hour',
            limit: 1000,
            policy: 'WARN',
            thresholds: [0.5, 0.9],
          },
        ],
        expirySweepMs: 600_000,
      },
      () => t,
    );
    const engine = s.context.engine;
    await engine.record([usage({ tenant: 'acme' }, 600, 0)]);
    const reservation = await engine.reserve({
      scope: { tenant: 'acme' },
      model: 'test-model',
      estimate: { inputTokens: 100 },
      ttlMs: 1000,
    });
    expect(reservation.reservation).toBeDefined();
    await engine.check({ scope: { tenant: 'acme' }, model: 'test-model', estimate: { inputTokens: 10 } });
    await setOverride(engine, {
      budgetId: 'monthly',
      amount: 5,
      expiresAt: t + 3_600_000,
      reason: 'launch',
      author: 'ops',
    });

    let { samples } = await scrape(s);
    const tokens = { budget: 'hourly-tokens', resource: 'tokens', period: 'hour' };
    const cost = { budget: 'monthly', resource: 'cost_usd', period: 'month' };
    expect(valueOf(samples, 'bursar_budget_used', tokens)).toBe(600);
    expect(valueOf(samples, 'bursar_budget_reserved', tokens)).toBe(100);
    expect(valueOf(samples, 'bursar_budget_remaining', tokens)).toBe(300);
    expect(valueOf(samples, 'bursar_budget_limit', tokens)).toBe(1000);
    expect(valueOf(samples, 'bursar_budget_utilization_ratio', tokens)).toBe(0.6);
    expect(valueOf(samples, 'bursar_budget_period_end_timestamp_seconds', tokens)).toBe(
      Date.UTC(2026, 4, 12, 11) / 1000,
    );
    expect(valueOf(samples, 'bursar_budget_limit', cost)).toBe(15);
    expect(valueOf(samples, 'bursar_budget_used', cost)).toBe(0.0006);
    expect(
      valueOf(samples, 'bursar_budget_consumed_total', { budget: 'hourly-tokens', resource: 'tokens' }),
    ).toBe(600);
    expect(
      valueOf(samples, 'bursar_budget_consumed_total', { budget: 'monthly', resource: 'cost_usd' }),
    ).toBe(0.0006);
    expect(
      valueOf(samples, 'bursar_threshold_crossings_total', { budget: 'hourly-tokens', threshold: '0.5' }),
    ).toBe(1);
    expect(valueOf(samples, 'bursar_decisions_total', { budget: 'hourly-tokens', decision: 'warn' })).toBe(2);
    expect(valueOf(samples, 'bursar_decisions_total', { budget: 'monthly', decision: 'allow' })).toBe(2);
    expect(valueOf(samples, 'bursar_reservations_active')).toBe(1);
    expect(valueOf(samples, 'bursar_reservations_expired_total')).toBe(0);
    // What each budget is, for rules and dashboards to join on: one series per budget.
    expect(seriesOf(samples, 'bursar_budget_info').map((x) => [x.labels, x.value])).toEqual([
      [{ ...cost, policy: 'HARD_LIMIT', shadow: 'false' }, 1],
      [{ ...tokens, policy: 'WARN', shadow: 'false' }, 1],
    ]);

    // The next hour: the gauges start over, the consumed counter keeps growing.
    t += 3_600_000;
    expect(await engine.expireReservations()).toBe(1);
    await engine.record([usage({ tenant: 'acme' }, 50, 0)]);
    ({ samples } = await scrape(s));
    expect(valueOf(samples, 'bursar_budget_used', tokens)).toBe(50);
    expect(
      valueOf(samples, 'bursar_budget_consumed_total', { budget: 'hourly-tokens', resource: 'tokens' }),
    ).toBe(650);
    expect(valueOf(samples, 'bursar_reservations_active')).toBe(0);
    expect(valueOf(samples, 'bursar_reservations_expired_total')).toBe(1);

    // A policy change replaces the info series; the gauges and counters keep theirs.
    await engine.putBudget({
      id: 'hourly-tokens',
      resource: 'tokens',
      period: 'hour',
      limit: 1000,
      policy: 'HARD_LIMIT',
      shadow: true,
    });
    ({ samples } = await scrape(s));
    expect(seriesOf(samples, 'bursar_budget_info').map((x) => x.labels)).toEqual([
      { ...cost, policy: 'HARD_LIMIT', shadow: 'false' },
      { ...tokens, policy: 'HARD_LIMIT', shadow: 'true' },
    ]);
    expect(valueOf(samples, 'bursar_budget_used', tokens)).toBe(50);
    expect(
      valueOf(samples, 'bursar_budget_consumed_total', { budget: 'hourly-tokens', resource: 'tokens' }),
    ).toBe(650);
  });

  it('passes promtool check metrics on a real scrape', async () => {
    const s = await start({
      metrics: { labels: ['tenant', 'agent'], maxValuesPerLabel: 3 },
      budgets: [
        {
          id: 'per-tenant',
          groupBy: ['tenant', 'agent'],
          resource: 'cost_usd',
          period: 'day',
          limit: 1,
          policy: 'SOFT_LIMIT',
        },
        { id: 'forever', resource: 'requests', period: 'total', limit: 100, policy: 'WARN' },
      ],
    });
    s.context.stats.countRequest('traces', 200);
    s.context.stats.countItems('traces', 'accepted', 3);
    await s.context.engine.record([
      usage({ tenant: 'we"ird\\ten\nant', agent: 'x' }, 100, 10),
      ...['a', 'b', 'c', 'd'].map((tenant) => usage({ tenant, agent: 'y' }, 5, 5)),
    ]);
    await s.context.engine.check({ scope: { tenant: 'a' }, estimate: { inputTokens: 1 } });
    await scrape(s); // the scrape histogram has an observation on the next one
    const { text, samples } = await scrape(s);
    expect(valueOf(samples, 'bursar_ingest_requests_total', { signal: 'traces', code: '200' })).toBe(1);
    expect(valueOf(samples, 'bursar_ingest_spans_total', { signal: 'traces', result: 'accepted' })).toBe(3);
    expect(
      valueOf(samples, 'bursar_tokens_total', {
        provider: 'openai',
        model: 'test-model',
        token_type: 'input',
        tenant: 'we"ird\\ten\nant',
        agent: 'x',
      }),
    ).toBe(100);
    expect(valueOf(samples, 'bursar_store_up', { store: 'sqlite' })).toBe(1);
    expect(seriesOf(samples, 'nodejs_eventloop_lag_seconds')).toHaveLength(1);
    expect(valueOf(samples, 'bursar_scrape_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    const families = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!);
    expect(new Set(families).size).toBe(families.length);
    for (const f of families) expect(text).toContain(`# HELP ${f} `);
    const check = await promtoolCheckMetrics(text);
    expect(check.output).toBe('');
    expect(check.code).toBe(0);
  });

  it('admin keys may scrape; ingest keys only when allowed; tenant keys never; no key is 401', async () => {
    const s = await start({ auth: { keys: KEYS } });
    expect((await scrape(s)).res.status).toBe(401);
    const missing = await scrape(s);
    expect(missing.res.headers.get('www-authenticate')).toBe('Bearer');
    expect(JSON.parse(missing.text).error.code).toBe('unauthorized');
    expect((await scrape(s, 'wrong-key-0123456789')).res.status).toBe(401);
    expect((await scrape(s, ADMIN)).res.status).toBe(200);
    const tenant = await scrape(s, TENANT);
    expect(tenant.res.status).toBe(403);
    expect(JSON.parse(tenant.text).error.message).toContain('may not read /metrics');
    expect((await scrape(s, INGEST)).res.status).toBe(403);
    const post = await fetch(`${s.apiUrl}/metrics`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(post.status).toBe(405);
    await s.stop();

    service = undefined;
    const open = await start({ auth: { keys: KEYS }, metrics: { scrapeWithIngestKeys: true } });
    expect((await scrape(open, INGEST)).res.status).toBe(200);
    expect((await scrape(open, TENANT)).res.status).toBe(403);
  });

  it('is open when no keys are configured (loopback only)', async () => {
    const s = await start({});
    const { res, samples } = await scrape(s);
    expect(res.status).toBe(200);
    expect(valueOf(samples, 'bursar_reservations_active')).toBe(0);
  });
});
