// The real @anthropic-ai/sdk (1.12) against the mock provider: messages (plain, stream, helper)
// and count_tokens.
import {
  AnthropicError,
  APIError,
  APIUserAbortError,
  BadRequestError,
  InternalServerError,
  RateLimitError,
} from '@anthropic-ai/sdk';
import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMockProvider, type MockProvider } from './mock-provider.ts';
import { anthropicClient, drain, settled, withScenario } from './sdk-clients.ts';
import { mockText } from './text.ts';
import {
  ANTHROPIC_INTERIM_OUTPUT_TOKENS,
  ANTHROPIC_START_OUTPUT_TOKENS,
  DEFAULT_ANTHROPIC_COUNT_TOKENS,
  DEFAULT_ANTHROPIC_USAGE,
} from './usage.ts';

let mock: MockProvider;
beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(async () => {
  await mock.close();
});
beforeEach(() => mock.reset());

const body = {
  model: 'claude-opus-4-8',
  max_tokens: 1024,
  messages: [{ role: 'user' as const, content: 'hi' }],
};

function deltaText(events: RawMessageStreamEvent[]): string {
  return events
    .map((e) => (e.type === 'content_block_delta' && e.delta.type === 'text_delta' ? e.delta.text : ''))
    .join('');
}

describe('anthropic messages', () => {
  it('plain: text and usage as configured (input excludes cache tokens)', async () => {
    const msg = await anthropicClient(mock).messages.create(body);
    expect(msg.content).toEqual([{ type: 'text', text: mockText(5), citations: null }]);
    expect(msg.usage).toEqual(DEFAULT_ANTHROPIC_USAGE);
    expect(mock.requests[0]).toMatchObject({ path: '/v1/messages', route: 'anthropic.messages' });
    // 1.12 sends the API key as a bearer token, with its own anthropic-version date.
    expect(mock.requests[0]?.headers['authorization']).toBe('Bearer sk-ant-mock');
    expect(mock.requests[0]?.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('create({ stream: true }): usage split across message_start and two cumulative message_deltas', async () => {
    const { items, error } = await drain(
      await anthropicClient(mock).messages.create({ ...body, stream: true }),
    );
    expect(error).toBeUndefined();
    // The SDK's Stream drops `ping` events; the mock sent one.
    expect(items.map((e) => e.type)).toEqual([
      'message_start',
      'content_block_start',
      ...Array(5).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_delta',
      'message_stop',
    ]);
    expect(mock.requests[0]?.framesSent).toBe(items.length + 1);
    expect(deltaText(items)).toBe(mockText(5));

    const start = items[0]!;
    expect(start.type === 'message_start' && start.message.usage).toMatchObject({
      input_tokens: DEFAULT_ANTHROPIC_USAGE.input_tokens,
      cache_read_input_tokens: DEFAULT_ANTHROPIC_USAGE.cache_read_input_tokens,
      cache_creation_input_tokens: DEFAULT_ANTHROPIC_USAGE.cache_creation_input_tokens,
      cache_creation: DEFAULT_ANTHROPIC_USAGE.cache_creation,
      output_tokens: ANTHROPIC_START_OUTPUT_TOKENS,
    });
    const outputs = items.flatMap((e) => (e.type === 'message_delta' ? [e.usage.output_tokens] : []));
    // Cumulative: take the last (420), never the sum (430).
    expect(outputs).toEqual([ANTHROPIC_INTERIM_OUTPUT_TOKENS, DEFAULT_ANTHROPIC_USAGE.output_tokens]);
  });

  it('messages.stream() helper: finalMessage() carries the final, not summed, usage', async () => {
    const stream = anthropicClient(mock).messages.stream(body);
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    const final = await stream.finalMessage();
    expect(texts.join('')).toBe(mockText(5));
    expect(final.usage).toMatchObject({
      input_tokens: DEFAULT_ANTHROPIC_USAGE.input_tokens,
      cache_read_input_tokens: DEFAULT_ANTHROPIC_USAGE.cache_read_input_tokens,
      cache_creation_input_tokens: DEFAULT_ANTHROPIC_USAGE.cache_creation_input_tokens,
      output_tokens: DEFAULT_ANTHROPIC_USAGE.output_tokens,
      output_tokens_details: DEFAULT_ANTHROPIC_USAGE.output_tokens_details,
    });
    expect(final.stop_reason).toBe('end_turn');
  });

  it('truncate: raw iteration throws TypeError "terminated" after message_start (input usage known)', async () => {
    const stream = await anthropicClient(mock).messages.create(
      { ...body, stream: true },
      withScenario('truncate'),
    );
    const { items, error } = await drain(stream);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe('terminated');
    expect(items.map((e) => e.type)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
    ]);
    expect(items.some((e) => e.type === 'message_delta')).toBe(false);
    await settled(mock);
    expect(mock.requests[0]?.outcome).toBe('truncated');
  });

  it('truncate: the helper rejects with AnthropicError "terminated"; currentMessage keeps start usage', async () => {
    const stream = anthropicClient(mock).messages.stream(body, withScenario('truncate'));
    const error = await stream.finalMessage().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AnthropicError);
    expect((error as Error).message).toBe('terminated');
    expect((error as Error).cause).toBeInstanceOf(TypeError);
    expect(stream.currentMessage?.usage).toMatchObject({
      input_tokens: DEFAULT_ANTHROPIC_USAGE.input_tokens,
      output_tokens: ANTHROPIC_START_OUTPUT_TOKENS,
    });
  });

  it('stream-error: the `error` event surfaces as APIError (no status, type overloaded_error)', async () => {
    const stream = await anthropicClient(mock).messages.create(
      { ...body, stream: true },
      withScenario('stream-error'),
    );
    const { items, error } = await drain(stream);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBeUndefined();
    expect((error as APIError).type).toBe('overloaded_error');
    expect(items[0]?.type).toBe('message_start');
  });

  it('no-usage: plain has no usage; raw stream events carry none; the helper crashes reading it', async () => {
    const client = anthropicClient(mock);
    expect((await client.messages.create(body, withScenario('no-usage'))).usage).toBeUndefined();

    const { items, error } = await drain(
      await client.messages.create({ ...body, stream: true }, withScenario('no-usage')),
    );
    expect(error).toBeUndefined();
    expect(items.some((e) => (e.type === 'message_start' ? e.message.usage : 'usage' in e && e.usage))).toBe(
      false,
    );

    // Real Anthropic always sends usage; MessageStream assumes it and fails on message_delta.
    const helperError = await client.messages
      .stream(body, withScenario('no-usage'))
      .finalMessage()
      .catch((e: unknown) => e);
    expect(helperError).toBeInstanceOf(AnthropicError);
    expect((helperError as Error).message).toMatch(/output_tokens/);
  });

  it('slow + abort: raw iteration ends quietly; the helper rejects with APIUserAbortError', async () => {
    const client = anthropicClient(mock);
    const controller = new AbortController();
    const raw = await client.messages.create(
      { ...body, stream: true },
      { ...withScenario('slow'), signal: controller.signal },
    );
    let seen = 0;
    for await (const _event of raw) {
      if (++seen === 3) controller.abort();
    }
    expect(seen).toBeGreaterThanOrEqual(3); // no throw; events already buffered may still arrive
    await settled(mock, 0);
    expect(mock.requests[0]?.outcome).toBe('client-closed');

    const helper = client.messages.stream(body, withScenario('slow'));
    let events = 0;
    helper.on('streamEvent', () => {
      if (++events === 3) helper.abort();
    });
    await expect(helper.finalMessage()).rejects.toBeInstanceOf(APIUserAbortError);
    await settled(mock, 1);
    expect(mock.requests[1]?.outcome).toBe('client-closed');
  });
});

describe('anthropic count_tokens', () => {
  it('returns input_tokens as configured', async () => {
    const res = await anthropicClient(mock).messages.countTokens({
      model: body.model,
      messages: body.messages,
    });
    expect(res).toEqual({ input_tokens: DEFAULT_ANTHROPIC_COUNT_TOKENS });
    expect(mock.requests[0]).toMatchObject({
      path: '/v1/messages/count_tokens',
      route: 'anthropic.countTokens',
    });
  });

  it('is unaffected by no-usage', async () => {
    const res = await anthropicClient(mock).messages.countTokens(
      { model: body.model, messages: body.messages },
      withScenario('no-usage'),
    );
    expect(res.input_tokens).toBe(DEFAULT_ANTHROPIC_COUNT_TOKENS);
  });
});

describe('anthropic errors and retries', () => {
  const cases = [
    ['error-400', BadRequestError, 400, 'invalid_request_error'],
    ['error-429', RateLimitError, 429, 'rate_limit_error'],
    ['error-500', InternalServerError, 500, 'api_error'],
  ] as const;

  it.each(cases)(
    '%s: plain, streamed, helper and count_tokens reject typed',
    async (s, Type, status, type) => {
      const client = anthropicClient(mock);
      const calls = [
        () => client.messages.create(body, withScenario(s)),
        () => client.messages.create({ ...body, stream: true }, withScenario(s)),
        () => client.messages.stream(body, withScenario(s)).finalMessage(),
        () => client.messages.countTokens({ model: body.model, messages: body.messages }, withScenario(s)),
      ];
      for (const call of calls) {
        const error = await call().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(Type);
        expect((error as APIError).status).toBe(status);
        expect((error as APIError).type).toBe(type);
        expect((error as APIError).requestID).toMatch(/^req_mock_/);
      }
      expect(mock.requests).toHaveLength(calls.length);
    },
  );

  it('default retries: queued 429 then ok is two requests and one success', async () => {
    // Anthropic treats `retry-after: 0` as absent (≈0.5 s default backoff); a positive value is obeyed.
    mock.settings.retryAfterSeconds = 0.01;
    mock.queueScenarios('error-429', 'ok');
    const msg = await anthropicClient(mock, 2).messages.create(body);
    expect(msg.usage.output_tokens).toBe(DEFAULT_ANTHROPIC_USAGE.output_tokens);
    expect(mock.requests.map((r) => r.status)).toEqual([429, 200]);
    // The SDK numbers its attempts in a header, which lets a test tell retries from new calls.
    expect(mock.requests.map((r) => r.headers['x-stainless-retry-count'])).toEqual(['0', '1']);
  });
});
