import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instrumentOpenAIClient } from '../../src/instrumentation/providers/openai.ts';
import { withBudgetScope } from '../../src/instrumentation/scope.ts';
import { traceTool } from '../../src/instrumentation/tool.ts';
import { UsageTracker } from '../../src/instrumentation/tracker.ts';
import { PriceCatalog } from '../../src/pricing/catalog.ts';
import { type MockProvider, openaiClient, startMockProvider } from '../mock-provider/index.ts';
import { otelHarness } from '../helpers/otel.ts';

let mock: MockProvider;
beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(async () => mock.close());

describe('in-process tracker', () => {
  it('totals, breakdowns, threshold warnings, report and JSON history', async () => {
    const h = otelHarness();
    const lines: string[] = [];
    const tracker = new UsageTracker({
      pricer: h.telemetry.pricer,
      budgetUsd: 0.0005,
      log: (l) => lines.push(l),
    });
    const crossed: number[] = [];
    tracker.on('threshold', (e) => crossed.push(e.threshold));
    tracker.attach(h.telemetry);
    const client = instrumentOpenAIClient(openaiClient(mock), h.telemetry);
    const messages = [{ role: 'user' as const, content: 'hi' }];
    await withBudgetScope({ agent: 'planner' }, () =>
      client.chat.completions.create({ model: 'gpt-4o-mini', messages }),
    );
    await withBudgetScope({ agent: 'coder' }, () =>
      client.chat.completions.create({ model: 'gpt-4o-mini', messages }),
    );
    const s = tracker.stats();
    expect(s.calls).toBe(2);
    expect(s.tokens).toMatchObject({
      input: 2400,
      output: 600,
      cacheRead: 2048,
      reasoning: 256,
      total: 3000,
    });
    expect(s.costNanoUsd).toBe(h.records[0]!.cost.nanoUsd * 2);
    expect(Object.keys(s.byAgent).sort()).toEqual(['coder', 'planner']);
    expect(s.byModel['gpt-4o-mini']!.calls).toBe(2);
    // gpt-4o-mini: (1200-1024)×$0.15/M + 1024×$0.075/M + 300×$0.60/M = 26,400 + 76,800 + 180,000 = 283,200 nano-USD per call.
    expect(h.records[0]!.cost.nanoUsd).toBe(283_200);
    // $0.0005 budget: 283,200 nano = 56.6% after one call, 113% after two.
    expect(crossed).toEqual([0.5, 0.75, 0.9, 1]);
    expect(lines[0]).toContain('50% of the $0.0005 budget');
    expect(tracker.report()).toContain('planner');
    const json = JSON.parse(JSON.stringify(tracker));
    expect(json.history).toHaveLength(2);
    expect(json.stats.calls).toBe(2);
  });

  it('as a span processor, counts GenAI spans of other instrumentations once and skips bursar’s own', async () => {
    const pricer = new PriceCatalog();
    const tracker = new UsageTracker({ pricer, log: null });
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({
      spanProcessors: [tracker.spanProcessor(), new SimpleSpanProcessor({ exporter })],
    });
    const tracer = provider.getTracer('other-instrumentation');
    // An older-generation span (v1.36 names), as another library would emit it.
    const old = tracer.startSpan('chat gpt-4o', {
      attributes: {
        'gen_ai.system': 'openai',
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.prompt_tokens': 100,
        'gen_ai.usage.completion_tokens': 20,
      },
    });
    old.end();
    const failed = tracer.startSpan('chat claude-sonnet-4-5', {
      attributes: {
        'gen_ai.provider.name': 'anthropic',
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'claude-sonnet-4-5',
        'gen_ai.usage.input_tokens': 10,
        'gen_ai.usage.output_tokens': 1,
      },
    });
    failed.setStatus({ code: SpanStatusCode.ERROR });
    failed.end();
    const ours = tracer.startSpan('chat gpt-4o', {
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.usage.input_tokens': 5,
        'bursar.usage.source': 'provider',
      },
    });
    ours.end();
    tracer.startSpan('GET /health', { attributes: { 'http.method': 'GET' } }).end();
    expect(tracker.stats().calls).toBe(2);
    expect(tracker.history[0]).toMatchObject({ provider: 'openai', usage: { input: 100, output: 20 } });
    expect(tracker.history[1]!.errorType).toBe('_OTHER');
  });
});

describe('tool calls', () => {
  it('traceTool makes an execute_tool span and a tool-call record, sync and async, errors included', async () => {
    const h = otelHarness();
    const search = traceTool('search', async (q: string) => `results for ${q}`, h.telemetry);
    const add = traceTool('add', (a: number, b: number) => a + b, h.telemetry);
    const boom = traceTool(
      'boom',
      () => {
        throw new Error('tool failed');
      },
      h.telemetry,
    );
    expect(await search('x')).toBe('results for x');
    expect(add(2, 3)).toBe(5);
    expect(() => boom()).toThrow('tool failed');
    const spans = await h.finishedSpans();
    expect(spans.map((s) => s.name)).toEqual([
      'execute_tool search',
      'execute_tool add',
      'execute_tool boom',
    ]);
    expect(spans[0]!.attributes['gen_ai.tool.name']).toBe('search');
    expect(spans[0]!.attributes['gen_ai.request.model']).toBeUndefined();
    expect(h.records.map((r) => [r.operation, r.toolName, r.usageSource])).toEqual([
      ['execute_tool', 'search', 'provider'],
      ['execute_tool', 'add', 'provider'],
      ['execute_tool', 'boom', 'provider'],
    ]);
    expect(h.records[2]!.errorType).toBe('Error');
    const m = await h.metrics();
    expect(m.get('bursar.client.usage.missing')).toBeUndefined();
  });
});
