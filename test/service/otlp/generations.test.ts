import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PricedRecord } from '../../../src/usage/usage-record.ts';
import { startTestService, type TestService } from '../../helpers/service.ts';
import { type Attr, tracesProto } from './bodies.ts';
import { itemStats, post } from './helpers.ts';

/**
 * GenAI spans of every semconv generation and of the common vendor instrumentations,
 * received over OTLP: each becomes the usage record its attributes describe.
 */

const T = Date.UTC(2026, 4, 20, 10);
const cases: { name: string; attributes: Record<string, Attr | { double: number }> }[] = [
  {
    name: 'v1.26: gen_ai.system, prompt/completion tokens, no operation name',
    attributes: {
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.prompt_tokens': 120,
      'gen_ai.usage.completion_tokens': 30,
    },
  },
  {
    name: 'v1.36: gen_ai.system with the operation and input/output tokens',
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'az.ai.openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 200,
      'gen_ai.usage.output_tokens': 40,
    },
  },
  {
    name: 'v1.41: provider name, cache and reasoning counts',
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-5.5',
      'gen_ai.response.model': 'gpt-5.5-2026-04-01',
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 300,
      'gen_ai.usage.cache_read.input_tokens': 400,
      'gen_ai.usage.cache_creation.input_tokens': 100,
      'gen_ai.usage.reasoning.output_tokens': 120,
    },
  },
  {
    name: 'development names: cache_write (as @anthropic-ai/sdk sends it), .cached, .reasoning',
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'gen_ai.usage.input_tokens': 900,
      'gen_ai.usage.output_tokens': 80,
      'gen_ai.usage.cache_write.input_tokens': 200,
      'gen_ai.usage.input_tokens.cached': 300,
      'gen_ai.usage.output_tokens.reasoning': 20,
    },
  },
  {
    name: 'old Anthropic convention: input without the cache tokens',
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': 10,
      'gen_ai.usage.cache_read_input_tokens': 500,
    },
  },
  {
    name: 'OpenLIT: its own cost for a model the catalog cannot price',
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'acme-finetune-7b',
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 100,
      'gen_ai.usage.total_tokens': 1100,
      'gen_ai.usage.cost': 0.0123,
    },
  },
  {
    name: 'OpenLIT: the catalog price wins for a model it knows',
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 100,
      'gen_ai.usage.cost': { double: 99 },
    },
  },
  {
    name: 'Traceloop: llm.request.type, the total giving the missing completion count',
    attributes: {
      'gen_ai.system': 'Anthropic',
      'llm.request.type': 'chat',
      'gen_ai.request.model': 'claude-haiku-4-5',
      'gen_ai.usage.prompt_tokens': 50,
      'llm.usage.total_tokens': 80,
    },
  },
  {
    name: 'Traceloop embeddings',
    attributes: {
      'gen_ai.system': 'openai',
      'llm.request.type': 'embedding',
      'gen_ai.request.model': 'text-embedding-3-small',
      'gen_ai.usage.prompt_tokens': 64,
      'llm.usage.total_tokens': 64,
    },
  },
  {
    name: "a provider SDK's own span of another API call (token counting): not a call",
    attributes: {
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'anthropic.message.count_tokens.input_tokens': 1234,
    },
  },
];

let service: TestService;
let records: PricedRecord[];

beforeAll(async () => {
  service = await startTestService();
  const spans = cases.map((c, i) => ({ name: c.name, endMs: T + i * 1000, attributes: c.attributes }));
  const res = await post(`${service.otlpUrl}/v1/traces`, tracesProto([{ scopes: [{ spans }] }]));
  expect(res.status).toBe(200);
  records = await service.context.engine.store.queryUsage({ from: 0, to: 8e12 });
});
afterAll(() => service.stop());

const at = (i: number) => records.find((r) => r.time === T + i * 1000);

it('reads v1.26 and v1.36 spans, mapping renamed gen_ai.system values', () => {
  expect(at(0)).toMatchObject({ provider: 'openai', operation: 'chat', usage: { input: 120, output: 30 } });
  expect(at(1)).toMatchObject({ provider: 'azure.ai.openai', usage: { input: 200, output: 40 } });
});

it('reads v1.41 and development-era counts with the inclusion rules', () => {
  expect(at(2)).toMatchObject({
    provider: 'openai',
    requestModel: 'gpt-5.5',
    responseModel: 'gpt-5.5-2026-04-01',
    usage: { input: 1000, output: 300, cacheRead: 400, cacheWrite: 100, reasoning: 120 },
  });
  expect(at(3)).toMatchObject({
    provider: 'anthropic',
    usage: { input: 900, output: 80, cacheRead: 300, cacheWrite: 200, reasoning: 20 },
  });
  expect(at(4)!.usage).toMatchObject({ input: 600, output: 10, cacheRead: 500 });
});

it("uses OpenLIT's cost only where the catalog has no price", () => {
  expect(at(5)!.cost).toMatchObject({ unpriced: false, source: 'provider', nanoUsd: 12_300_000 });
  const known = at(6)!;
  expect(known.cost.source).toBe('computed');
  expect(known.cost.nanoUsd).toBe(service.context.catalog.price(known).nanoUsd);
  expect(known.cost.nanoUsd).toBeLessThan(99e9);
});

it("reads Traceloop's request type and total tokens", () => {
  expect(at(7)).toMatchObject({ operation: 'chat', provider: 'Anthropic', usage: { input: 50, output: 30 } });
  expect(at(8)).toMatchObject({ operation: 'embeddings', usage: { input: 64, output: 0 } });
});

it('ignores provider spans of calls that are not inference', () => {
  expect(at(9)).toBeUndefined();
  expect(records).toHaveLength(9);
  expect(itemStats(service)).toEqual({ 'traces accepted': 9, 'traces ignored': 1 });
});
