import { afterEach, describe, expect, it } from 'vitest';
import { statusReport } from '../../../src/budget/status.ts';
import { startTestService, type TestService } from '../../helpers/service.ts';
import {
  genAiSpan,
  grouped,
  itemStats,
  type Protocol,
  requestStats,
  sdkSender,
  T_END,
  totals,
} from './helpers.ts';

/**
 * The official OpenTelemetry SDK (TracerProvider + BatchSpanProcessor) exporting GenAI spans
 * with the official OTLP exporters, http/protobuf and http/json, plain and gzip, to the
 * real service (SQLite): the ledger and the budgets hold exactly what was sent.
 */

let service: TestService | undefined;
afterEach(async () => {
  await service?.stop();
  service = undefined;
});

const chat = (
  provider: string,
  model: string,
  usage: Record<string, number>,
  extra: Record<string, string> = {},
) => ({
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': provider,
  'gen_ai.request.model': model,
  ...Object.fromEntries(Object.entries(usage).map(([k, v]) => [`gen_ai.usage.${k}`, v])),
  ...extra,
});

describe.each<[Protocol, boolean]>([
  ['protobuf', false],
  ['protobuf', true],
  ['json', false],
  ['json', true],
])('official SDK over http/%s (gzip: %s)', (protocol, gzip) => {
  it('counts every GenAI call exactly, with its scope labels, and nothing else', async () => {
    service = await startTestService({
      otlp: { spanLabels: { 'app.user': 'user' } },
      budgets: [{ id: 'all-tokens', resource: 'tokens', period: 'total', limit: 1e9, policy: 'WARN' }],
    });
    const sender = sdkSender(service.otlpUrl, {
      protocol,
      gzip,
      resource: { 'service.name': 'planner', 'bursar.scope.tenant': 'acme' },
    });
    const t = sender.tracer;
    genAiSpan(
      t,
      'chat gpt-5.5',
      chat(
        'openai',
        'gpt-5.5',
        {
          input_tokens: 1000,
          output_tokens: 200,
          'cache_read.input_tokens': 300,
          'reasoning.output_tokens': 50,
        },
        {
          'gen_ai.agent.name': 'researcher',
        },
      ),
    );
    genAiSpan(
      t,
      'chat claude-sonnet-4-5',
      chat(
        'anthropic',
        'claude-sonnet-4-5',
        { input_tokens: 500, output_tokens: 100, 'cache_creation.input_tokens': 50 },
        {
          'app.user': 'u-7',
          'bursar.scope.project': 'alpha',
        },
      ),
    );
    genAiSpan(t, 'execute_tool search', {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'search',
    });
    genAiSpan(t, 'GET /health', { 'http.request.method': 'GET', 'url.path': '/health' });
    genAiSpan(t, 'invoke_agent planner', {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'planner',
    });
    genAiSpan(
      t,
      'chat gpt-5.5',
      chat('openai', 'gpt-5.5', { input_tokens: 10, output_tokens: 0 }, { 'error.type': 'timeout' }),
      {
        error: true,
      },
    );
    await sender.flush();
    await sender.shutdown();

    expect(requestStats(service)).toEqual({ 'traces 200': 1 });
    expect(itemStats(service)).toEqual({ 'traces accepted': 4, 'traces ignored': 2 });
    const all = await totals(service);
    expect(all).toMatchObject({
      calls: 4,
      errors: 1,
      input: 1510,
      output: 300,
      cacheRead: 300,
      cacheWrite: 50,
      reasoning: 50,
      // The tool call: no model to price (as for bursar's own in-process tool records).
      unpricedCalls: 1,
    });
    const records = await service.context.engine.store.queryUsage({ from: 0, to: 8e12 });
    // Cost is the catalog's price of each call, summed in integers.
    const expectedCost = records.reduce((s, r) => s + service!.context.catalog.price(r).nanoUsd, 0);
    expect(all!.costNanoUsd).toBe(expectedCost);
    expect(expectedCost).toBeGreaterThan(0);
    for (const r of records) expect(r.time).toBe(T_END);

    expect(Object.keys(await grouped(service, 'agent')).sort()).toEqual(['planner', 'researcher']);
    expect((await grouped(service, 'tenant')).acme?.calls).toBe(4);
    expect((await grouped(service, 'tool')).search?.calls).toBe(1);
    const byUser = await service.context.engine.store.aggregateUsage({
      from: 0,
      to: 8e12,
      groupBy: ['user', 'project'],
    });
    expect(byUser.find((r) => r.group.user === 'u-7')).toMatchObject({
      calls: 1,
      input: 500,
      group: { project: 'alpha' },
    });

    const [budget] = (await statusReport(service.context.engine)).budgets;
    expect(budget!.used).toBe(1510 + 300);
  });
});
