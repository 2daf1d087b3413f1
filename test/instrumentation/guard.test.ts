import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BudgetEngine } from '../../src/budget/engine.ts';
import { statusReport } from '../../src/budget/status.ts';
import { BudgetExceededError, BudgetUnavailableError, Guard } from '../../src/instrumentation/guard.ts';
import { instrumentAnthropicClient } from '../../src/instrumentation/providers/anthropic.ts';
import { instrumentGeminiClient } from '../../src/instrumentation/providers/gemini.ts';
import { instrumentOpenAIClient } from '../../src/instrumentation/providers/openai.ts';
import { withBudgetScope } from '../../src/instrumentation/scope.ts';
import { PriceCatalog } from '../../src/pricing/catalog.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import {
  anthropicClient,
  geminiClient,
  type MockProvider,
  openaiClient,
  startMockProvider,
  withScenario,
} from '../mock-provider/index.ts';
import { otelHarness } from '../helpers/otel.ts';

let mock: MockProvider;
beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(async () => mock.close());
beforeEach(() => mock.reset());

const messages = [{ role: 'user' as const, content: 'hello there' }];

async function setup(failMode: 'open' | 'closed' = 'closed') {
  const engine = new BudgetEngine({ store: new MemoryStore(), pricer: new PriceCatalog() });
  await engine.init();
  const h = otelHarness();
  h.telemetry.guard = new Guard({ backend: engine, failMode });
  const client = instrumentOpenAIClient(openaiClient(mock), h.telemetry);
  const tokens = async (id: string) => (await statusReport(engine, [id])).budgets[0]!;
  return { engine, h, client, tokens };
}

describe('guard (in-process engine)', () => {
  it('reserves before the call and commits the provider’s usage after it', async () => {
    const { engine, client, tokens } = await setup();
    await engine.putBudget({
      id: 'tok',
      selector: { tenant: 'acme' },
      resource: 'tokens',
      period: 'day',
      limit: 100_000,
      policy: 'HARD_LIMIT',
    });
    const r = await withBudgetScope({ tenant: 'acme' }, () =>
      client.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 50 }),
    );
    expect(r.usage?.total_tokens).toBe(1500);
    await new Promise((res) => setImmediate(res));
    expect(await tokens('tok')).toMatchObject({ used: 1500, reserved: 0 });
  });

  it('a denial throws BudgetExceededError and sends nothing to the provider', async () => {
    const { engine, client, h } = await setup();
    await engine.putBudget({
      id: 'one-call',
      resource: 'requests',
      period: 'day',
      limit: 1,
      policy: 'HARD_LIMIT',
    });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    const sent = mock.requests.length;
    const err = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect(err).toMatchObject({
      budget: 'one-call',
      policy: 'HARD_LIMIT',
      limit: 1,
      used: 1,
      reserved: 0,
      requested: 1,
    });
    expect(mock.requests.length).toBe(sent);
    expect(h.records).toHaveLength(1);
  });

  it('streams commit when the stream ends; withResponse() still works when guarded', async () => {
    const { engine, client, tokens } = await setup();
    await engine.putBudget({
      id: 'tok',
      resource: 'tokens',
      period: 'day',
      limit: 100_000,
      policy: 'HARD_LIMIT',
    });
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    for await (const _ of stream) {
      // drain
    }
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages })
      .withResponse();
    expect(response.status).toBe(200);
    expect(data.usage?.prompt_tokens).toBe(1200);
    await new Promise((res) => setImmediate(res));
    expect(await tokens('tok')).toMatchObject({ used: 3000, reserved: 0 });
  });

  it('a failed call with no usage releases its hold', async () => {
    const { engine, client, tokens } = await setup();
    await engine.putBudget({
      id: 'tok',
      resource: 'tokens',
      period: 'day',
      limit: 100_000,
      policy: 'HARD_LIMIT',
    });
    await expect(
      client.chat.completions.create({ model: 'gpt-4o-mini', messages }, withScenario('error-500')),
    ).rejects.toThrow();
    await new Promise((res) => setImmediate(res));
    expect(await tokens('tok')).toMatchObject({ used: 0, reserved: 0 });
  });

  it('backend unreachable: closed refuses before sending, open lets the call through', async () => {
    const down = {
      reserve: async () => Promise.reject(new Error('ECONNREFUSED')),
      commit: async () => {},
      release: async () => {},
    };
    const h = otelHarness();
    h.telemetry.guard = new Guard({ backend: down, failMode: 'closed' });
    const closed = instrumentOpenAIClient(openaiClient(mock), h.telemetry);
    const sent = mock.requests.length;
    await expect(closed.chat.completions.create({ model: 'gpt-4o-mini', messages })).rejects.toBeInstanceOf(
      BudgetUnavailableError,
    );
    expect(mock.requests.length).toBe(sent);
    const h2 = otelHarness();
    h2.telemetry.guard = new Guard({ backend: down, failMode: 'open' });
    const open = instrumentOpenAIClient(openaiClient(mock), h2.telemetry);
    const r = await open.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(r.usage?.prompt_tokens).toBe(1200);
    expect(mock.requests.length).toBe(sent + 1);
  });
});

describe('guard on the Anthropic and Gemini adapters', () => {
  it('commits the provider’s usage, then denies before sending once the budget is spent', async () => {
    const engine = new BudgetEngine({ store: new MemoryStore(), pricer: new PriceCatalog() });
    await engine.init();
    await engine.putBudget({
      id: 'two',
      resource: 'requests',
      period: 'day',
      limit: 2,
      policy: 'HARD_LIMIT',
    });
    await engine.putBudget({
      id: 'tok',
      resource: 'tokens',
      period: 'day',
      limit: 1_000_000,
      policy: 'WARN',
    });
    const h = otelHarness();
    h.telemetry.guard = new Guard({ backend: engine });
    const a = instrumentAnthropicClient(anthropicClient(mock), h.telemetry);
    const g = instrumentGeminiClient(geminiClient(mock), h.telemetry);
    const m = await a.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(m.usage.output_tokens).toBe(420);
    await g.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' });
    await new Promise((res) => setImmediate(res));
    const tok = (await statusReport(engine, ['tok'])).budgets[0]!;
    // Anthropic 2350 in + 420 out; Gemini 900 in + 300 out.
    expect(tok).toMatchObject({ used: 2350 + 420 + 900 + 300, reserved: 0 });
    const sent = mock.requests.length;
    await expect(
      a.messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    ).rejects.toBeInstanceOf(BudgetExceededError);
    await expect(
      g.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' }),
    ).rejects.toBeInstanceOf(BudgetExceededError);
    expect(mock.requests.length).toBe(sent);
  });
});

describe('a denial inside an SDK stream helper', () => {
  it('reaches the caller of Anthropic messages.stream() unwrapped: a BudgetExceededError that is also an AnthropicError', async () => {
    const engine = new BudgetEngine({ store: new MemoryStore(), pricer: new PriceCatalog() });
    await engine.init();
    // 10 tokens a day: any call with max_tokens 64 is denied before it is sent.
    await engine.putBudget({
      id: 'tiny',
      resource: 'tokens',
      period: 'day',
      limit: 10,
      policy: 'HARD_LIMIT',
    });
    const h = otelHarness();
    h.telemetry.guard = new Guard({ backend: engine });
    const raw = anthropicClient(mock);
    const a = instrumentAnthropicClient(raw, h.telemetry);
    const sent = mock.requests.length;
    const stream = a.messages.stream({
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const err = await stream.finalMessage().then(
      () => undefined,
      (e: unknown) => e,
    );
    // MessageStream wraps any error that is not an AnthropicError; this one it passes on.
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect(err).toBeInstanceOf(
      (raw.constructor as unknown as { AnthropicError: new () => Error }).AnthropicError,
    );
    expect((err as Error).cause).toBeUndefined();
    expect(err).toMatchObject({
      name: 'BudgetExceededError',
      budget: 'tiny',
      policy: 'HARD_LIMIT',
      limit: 10,
      used: 0,
    });
    expect(mock.requests.length).toBe(sent);
    // A plain create is denied the same way, and the class test is not fooled by other errors.
    await expect(
      a.messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    ).rejects.toBeInstanceOf(BudgetExceededError);
    expect(new Error('x')).not.toBeInstanceOf(BudgetExceededError);
  });
});

describe('a denial inside the OpenAI chat stream helper', () => {
  it('reaches the caller of chat.completions.stream() unwrapped: a BudgetExceededError that is also an OpenAIError', async () => {
    const { engine, client } = await setup();
    await engine.putBudget({
      id: 'tiny',
      resource: 'tokens',
      period: 'day',
      limit: 10,
      policy: 'HARD_LIMIT',
    });
    const sent = mock.requests.length;
    const stream = client.chat.completions.stream({ model: 'gpt-5.5', max_tokens: 64, messages });
    const err = await stream.finalChatCompletion().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect(err).toBeInstanceOf(
      (client.constructor as unknown as { OpenAIError: new () => Error }).OpenAIError,
    );
    expect((err as Error).cause).toBeUndefined();
    expect(err).toMatchObject({ budget: 'tiny', policy: 'HARD_LIMIT', limit: 10 });
    expect(mock.requests.length).toBe(sent);
  });
});

describe('guard estimates', () => {
  it('countTokens: the provider’s own counter sizes the reservation; otherwise the text length', async () => {
    const seen: number[] = [];
    const engine = new BudgetEngine({ store: new MemoryStore(), pricer: new PriceCatalog() });
    await engine.init();
    const spy = {
      reserve: (input: Parameters<typeof engine.reserve>[0]) => {
        seen.push(input.estimate?.inputTokens ?? -1);
        return engine.reserve(input);
      },
      commit: (id: string, u: Parameters<typeof engine.commit>[1]) => engine.commit(id, u),
      release: (id: string) => engine.release(id),
    };
    const counted = otelHarness();
    counted.telemetry.guard = new Guard({ backend: spy, countTokens: true });
    const a = instrumentAnthropicClient(anthropicClient(mock), counted.telemetry);
    const g = instrumentGeminiClient(geminiClient(mock), counted.telemetry);
    await a.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
    });
    await g.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' });
    // The mock's counters answer 2345 (Anthropic) and 873 (Gemini); neither count is recorded as usage.
    expect(seen).toEqual([2345, 873]);
    expect(counted.records.map((r) => r.provider)).toEqual(['anthropic', 'gcp.gemini']);
    const plain = otelHarness();
    plain.telemetry.guard = new Guard({ backend: spy });
    await instrumentAnthropicClient(anthropicClient(mock), plain.telemetry).messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
    });
    // Without counting: ceil(JSON length / 4) of the messages.
    expect(seen[2]).toBe(Math.ceil(JSON.stringify([{ role: 'user', content: 'hi' }]).length / 4));
  });
});
