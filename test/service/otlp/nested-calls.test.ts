import Anthropic from '@anthropic-ai/sdk';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { instrumentAnthropicClient } from '../../../src/instrumentation/providers/anthropic.ts';
import { withBudgetScope } from '../../../src/instrumentation/scope.ts';
import { GenAiTelemetry } from '../../../src/instrumentation/telemetry.ts';
import { PriceCatalog } from '../../../src/pricing/catalog.ts';
import { SCOPE_ANTHROPIC_SDK, SCOPE_BURSAR } from '../../../src/semconv.ts';
import {
  DEFAULT_ANTHROPIC_USAGE as U,
  type MockProvider,
  startMockProvider,
} from '../../mock-provider/index.ts';
import { startTestService, type TestService } from '../../helpers/service.ts';
import { hexId, type SpanSpec, tracesProto } from './bodies.ts';
import { grouped, itemStats, post, recordingProxy, totals } from './helpers.ts';
import { otlpProto } from './otlp-proto.ts';

/**
 * @anthropic-ai/sdk 1.12 emits its own GenAI span for each call, as a child of the span
 * bursar's instrumentation makes for the same call: one provider call, two inference spans.
 * The receiver counts the call once (see src/service/otlp/nested-calls.ts for the rule).
 */

let service: TestService | undefined;
afterEach(async () => {
  await service?.stop();
  service = undefined;
});

describe('bursar instrumentation and the Anthropic SDK in one process', () => {
  let mock: MockProvider;
  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    mock = await startMockProvider();
  });
  afterAll(async () => {
    await mock.close();
    context.disable();
  });

  it('counts each call once, with the scope labels of bursar’s span', async () => {
    service = await startTestService();
    const proxy = await recordingProxy(service.otlpUrl);
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'support-bot' }),
      spanProcessors: [
        new BatchSpanProcessor({
          exporter: new OTLPTraceExporter({ url: `${proxy.url}/v1/traces` }),
          scheduledDelayMillis: 60_000,
        }),
      ],
    });
    const telemetry = new GenAiTelemetry(new PriceCatalog(), { tracerProvider: provider });
    const sdk = new Anthropic({
      apiKey: 'sk-ant-mock',
      baseURL: mock.anthropicBaseURL,
      maxRetries: 0,
      openTelemetry: { tracerProvider: provider },
    });
    const client = instrumentAnthropicClient(sdk, telemetry);
    const body = {
      model: 'claude-sonnet-4-6',
      max_tokens: 100,
      messages: [{ role: 'user' as const, content: 'hi' }],
    };
    await withBudgetScope({ tenant: 'acme' }, async () => {
      for (let i = 0; i < 3; i++) await client.messages.create(body);
      const stream = await client.messages.create({ ...body, stream: true });
      for await (const _ of stream) {
        // read to the end
      }
    });
    await provider.forceFlush();
    await provider.shutdown();
    await proxy.close();

    // The SDK really sent both spans of each call, the SDK's a child of bursar's.
    const sent = proxy.recorded.flatMap((r) => {
      const req = otlpProto.ExportTraceServiceRequest.toObject(
        otlpProto.ExportTraceServiceRequest.decode(r.body),
        {
          bytes: String,
        },
      ) as {
        resourceSpans: {
          scopeSpans: { scope: { name: string }; spans: { spanId: string; parentSpanId?: string }[] }[];
        }[];
      };
      return req.resourceSpans.flatMap((rs) =>
        rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => ({ scope: ss.scope.name, ...s }))),
      );
    });
    const ours = sent.filter((s) => s.scope === SCOPE_BURSAR);
    const theirs = sent.filter((s) => s.scope === SCOPE_ANTHROPIC_SDK);
    expect(ours).toHaveLength(4);
    expect(theirs).toHaveLength(4);
    expect(theirs.map((s) => s.parentSpanId).sort()).toEqual(ours.map((s) => s.spanId).sort());

    const input = U.input_tokens + U.cache_read_input_tokens + U.cache_creation_input_tokens;
    expect(await totals(service)).toMatchObject({ calls: 4, input: 4 * input, output: 4 * U.output_tokens });
    expect((await grouped(service, 'tenant')).acme?.calls).toBe(4);
    expect(itemStats(service)).toEqual({ 'traces accepted': 4, 'traces duplicate': 4 });
  });
});

describe('nested spans split across export batches', () => {
  const T = Date.UTC(2026, 4, 20, 10);
  const trace = hexId(16);
  const chat = (scope: Record<string, string> = {}) => ({
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'anthropic',
    'gen_ai.request.model': 'claude-sonnet-4-6',
    'gen_ai.usage.input_tokens': 100,
    'gen_ai.usage.output_tokens': 10,
    ...scope,
  });
  const send = (name: string, spans: SpanSpec[]) =>
    post(`${service!.otlpUrl}/v1/traces`, tracesProto([{ scopes: [{ name, spans }] }]));

  it('the SDK span first, bursar’s parent later: counted once (from the SDK span)', async () => {
    service = await startTestService();
    const parent = hexId(8);
    await send(SCOPE_ANTHROPIC_SDK, [
      { traceId: trace, spanId: hexId(8), parentSpanId: parent, endMs: T, attributes: chat() },
    ]);
    await send(SCOPE_BURSAR, [
      { traceId: trace, spanId: parent, endMs: T, attributes: chat({ 'bursar.scope.tenant': 'acme' }) },
    ]);
    expect(await totals(service)).toMatchObject({ calls: 1, input: 100 });
    expect(itemStats(service)).toEqual({ 'traces accepted': 1, 'traces duplicate': 1 });
  });

  it('bursar’s span first, the SDK child later: counted once, with bursar’s labels', async () => {
    service = await startTestService();
    const parent = hexId(8);
    await send(SCOPE_BURSAR, [
      { traceId: trace, spanId: parent, endMs: T, attributes: chat({ 'bursar.scope.tenant': 'acme' }) },
    ]);
    await send(SCOPE_ANTHROPIC_SDK, [
      { traceId: trace, spanId: hexId(8), parentSpanId: parent, endMs: T, attributes: chat() },
    ]);
    expect((await grouped(service, 'tenant')).acme).toMatchObject({ calls: 1, input: 100 });
    expect(itemStats(service)).toEqual({ 'traces accepted': 1, 'traces duplicate': 1 });
  });

  it('siblings under a span that is not a call, and calls made inside a tool, all count', async () => {
    service = await startTestService();
    const agentStep = hexId(8);
    const tool = hexId(8);
    const nestedTool = hexId(8);
    await send('app', [
      {
        traceId: trace,
        spanId: agentStep,
        endMs: T,
        attributes: { 'gen_ai.operation.name': 'invoke_agent' },
      },
      { traceId: trace, spanId: hexId(8), parentSpanId: agentStep, endMs: T, attributes: chat() },
      { traceId: trace, spanId: hexId(8), parentSpanId: agentStep, endMs: T, attributes: chat() },
      {
        traceId: trace,
        spanId: tool,
        parentSpanId: agentStep,
        endMs: T,
        attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup' },
      },
      // A tool described twice (the SDK's tool runner span around bursar's traced tool): one tool call.
      {
        traceId: trace,
        spanId: nestedTool,
        parentSpanId: tool,
        endMs: T,
        attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup' },
      },
      // A model call made by the tool: a call of its own.
      { traceId: trace, spanId: hexId(8), parentSpanId: nestedTool, endMs: T, attributes: chat() },
    ]);
    expect(await totals(service)).toMatchObject({ calls: 4, input: 300 });
    expect((await grouped(service, 'tool')).lookup?.calls).toBe(1);
    expect(itemStats(service)).toEqual({ 'traces accepted': 4, 'traces duplicate': 1, 'traces ignored': 1 });
  });
});
