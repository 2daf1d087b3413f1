// The real openai SDK (7.57) against the mock provider: chat.completions, responses, embeddings.
import { APIError, BadRequestError, InternalServerError, OpenAIError, RateLimitError } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMockProvider, type MockProvider } from './mock-provider.ts';
import { drain, openaiClient, settled, withScenario } from './sdk-clients.ts';
import { mockText } from './text.ts';
import {
  DEFAULT_OPENAI_CHAT_USAGE,
  DEFAULT_OPENAI_EMBEDDINGS_USAGE,
  DEFAULT_OPENAI_RESPONSES_USAGE,
} from './usage.ts';

let mock: MockProvider;
beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(async () => {
  await mock.close();
});
beforeEach(() => mock.reset());

const chatBody = { model: 'gpt-5.5', messages: [{ role: 'user' as const, content: 'hi' }] };
const streamBody = { ...chatBody, stream: true as const, stream_options: { include_usage: true } };

function text(chunks: ChatCompletionChunk[]): string {
  return chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
}

describe('openai chat.completions', () => {
  it('plain: text and usage as configured', async () => {
    const res = await openaiClient(mock).chat.completions.create(chatBody);
    expect(res.choices[0]?.message.content).toBe(mockText(5));
    expect(res.usage).toEqual(DEFAULT_OPENAI_CHAT_USAGE);
    expect(mock.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      route: 'openai.chat',
    });
  });

  it('stream with include_usage: one final chunk with choices [] and usage; usage null before it', async () => {
    const { items, error } = await drain(await openaiClient(mock).chat.completions.create(streamBody));
    expect(error).toBeUndefined();
    expect(text(items)).toBe(mockText(5));
    const last = items.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual(DEFAULT_OPENAI_CHAT_USAGE);
    expect(items.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    // The recorder shows what the SDK sent, e.g. for asserting an instrumentation injected this.
    expect(mock.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('stream without include_usage: no chunk carries usage', async () => {
    const stream = await openaiClient(mock).chat.completions.create({ ...chatBody, stream: true });
    const { items } = await drain(stream);
    expect(items.length).toBe(1 + 5 + 1); // role chunk, 5 text chunks, finish chunk
    expect(items.every((c) => c.usage === undefined)).toBe(true);
    expect(mock.requests[0]?.body).not.toHaveProperty('stream_options');
  });

  it('x-mock-chunks sets the number of streamed text chunks (50 for benchmarks)', async () => {
    const stream = await openaiClient(mock).chat.completions.create(streamBody, withScenario('ok', 50));
    const { items } = await drain(stream);
    expect(text(items)).toBe(mockText(50));
    expect(items.at(-1)?.usage).toEqual(DEFAULT_OPENAI_CHAT_USAGE);
  });

  it('truncate: iteration throws TypeError "terminated" after the first chunks; no usage arrived', async () => {
    const stream = await openaiClient(mock).chat.completions.create(streamBody, withScenario('truncate'));
    const { items, error } = await drain(stream);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe('terminated');
    expect(text(items)).toBe(mockText(2));
    expect(items.some((c) => c.usage)).toBe(false);
    await settled(mock);
    expect(mock.requests[0]?.outcome).toBe('truncated');
  });

  it('stream-error: an `error` data line surfaces as APIError without a status', async () => {
    const stream = await openaiClient(mock).chat.completions.create(streamBody, withScenario('stream-error'));
    const { items, error } = await drain(stream);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBeUndefined();
    expect(text(items)).toBe(mockText(2));
  });

  it('no-usage: plain and streamed responses carry no usage even with include_usage', async () => {
    const client = openaiClient(mock);
    const plain = await client.chat.completions.create(chatBody, withScenario('no-usage'));
    expect(plain.usage).toBeUndefined();
    const { items } = await drain(await client.chat.completions.create(streamBody, withScenario('no-usage')));
    expect(items.some((c) => Boolean(c.usage))).toBe(false);
    expect(text(items)).toBe(mockText(5));
  });

  it('slow + abort: the loop ends quietly (no throw) and the server sees the client leave', async () => {
    const controller = new AbortController();
    const stream = await openaiClient(mock).chat.completions.create(streamBody, {
      ...withScenario('slow'),
      signal: controller.signal,
    });
    let seen = 0;
    for await (const _chunk of stream) {
      if (++seen === 2) controller.abort();
    }
    expect(seen).toBeGreaterThanOrEqual(2); // no throw; events already buffered may still arrive
    await settled(mock);
    expect(mock.requests[0]?.outcome).toBe('client-closed');
    expect(mock.requests[0]?.framesSent).toBeLessThan(1 + 5 + 3);
  });

  it('.withResponse() exposes the raw Response alongside the parsed body', async () => {
    const { data, response } = await openaiClient(mock).chat.completions.create(chatBody).withResponse();
    expect(response.status).toBe(200);
    expect(data.usage?.total_tokens).toBe(DEFAULT_OPENAI_CHAT_USAGE.total_tokens);
  });
});

describe('openai responses', () => {
  const body = { model: 'gpt-5.5', input: 'hi' };

  it('plain: output_text and usage', async () => {
    const res = await openaiClient(mock).responses.create(body);
    expect(res.output_text).toBe(mockText(5));
    expect(res.usage).toEqual(DEFAULT_OPENAI_RESPONSES_USAGE);
  });

  it('create({ stream: true }): full event sequence, usage on response.completed', async () => {
    const { items, error } = await drain(
      await openaiClient(mock).responses.create({ ...body, stream: true }),
    );
    expect(error).toBeUndefined();
    const types = [...new Set(items.map((e) => e.type))];
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(items.map((e) => e.sequence_number)).toEqual(items.map((_, i) => i));
    const completed = items.at(-1)!;
    expect(completed.type === 'response.completed' && completed.response.usage).toEqual(
      DEFAULT_OPENAI_RESPONSES_USAGE,
    );
  });

  it('responses.stream() helper validates the sequence; finalResponse() has text and usage', async () => {
    const stream = openaiClient(mock).responses.stream(body);
    const deltas: string[] = [];
    stream.on('response.output_text.delta', (e) => deltas.push(e.delta));
    const final = await stream.finalResponse();
    expect(deltas.join('')).toBe(mockText(5));
    expect(final.output_text).toBe(mockText(5));
    expect(final.usage).toEqual(DEFAULT_OPENAI_RESPONSES_USAGE);
  });

  it('truncate: the helper rejects with OpenAIError "terminated" (cause TypeError); no usage', async () => {
    const stream = openaiClient(mock).responses.stream(body, withScenario('truncate'));
    const error = await stream.finalResponse().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAIError);
    expect((error as Error).message).toBe('terminated');
    expect((error as Error).cause).toBeInstanceOf(TypeError);
    const { items, error: rawError } = await drain(
      await openaiClient(mock).responses.create({ ...body, stream: true }, withScenario('truncate')),
    );
    expect((rawError as Error).message).toBe('terminated');
    expect(items.map((e) => e.type)).toContain('response.created');
    expect(items.map((e) => e.type)).not.toContain('response.completed');
  });

  it('stream-error: the `error` event surfaces as APIError', async () => {
    const stream = openaiClient(mock).responses.stream(body, withScenario('stream-error'));
    await expect(stream.finalResponse()).rejects.toBeInstanceOf(APIError);
  });

  it('no-usage: the completed response has no usage', async () => {
    const client = openaiClient(mock);
    expect((await client.responses.create(body, withScenario('no-usage'))).usage).toBeUndefined();
    const final = await client.responses.stream(body, withScenario('no-usage')).finalResponse();
    expect(final.usage).toBeUndefined();
    expect(final.output_text).toBe(mockText(5));
  });
});

describe('openai embeddings', () => {
  it('default request asks for base64 and the SDK decodes it; usage as configured', async () => {
    const res = await openaiClient(mock).embeddings.create({
      model: 'text-embedding-3-small',
      input: ['a', 'b'],
    });
    expect(mock.requests[0]?.body).toMatchObject({ encoding_format: 'base64' });
    expect(res.data.map((d) => d.embedding)).toEqual([
      [0.125, 0.1875, 0.25, 0.3125],
      [0.25, 0.3125, 0.375, 0.4375],
    ]);
    expect(res.usage).toEqual(DEFAULT_OPENAI_EMBEDDINGS_USAGE);
  });

  it('explicit float format and no-usage', async () => {
    const res = await openaiClient(mock).embeddings.create(
      { model: 'text-embedding-3-small', input: 'a', encoding_format: 'float' },
      withScenario('no-usage'),
    );
    expect(res.data).toHaveLength(1);
    expect(res.usage).toBeUndefined();
  });
});

describe('openai errors and retries', () => {
  const cases = [
    ['error-400', BadRequestError, 400],
    ['error-429', RateLimitError, 429],
    ['error-500', InternalServerError, 500],
  ] as const;

  it.each(cases)(
    '%s: plain, streamed and helper calls reject with the typed error',
    async (s, Type, status) => {
      const client = openaiClient(mock);
      // Thunks, run one at a time: a rejected promise nobody awaits yet is an unhandled rejection.
      const calls = [
        () => client.chat.completions.create(chatBody, withScenario(s)),
        () => client.chat.completions.create(streamBody, withScenario(s)),
        () => client.responses.stream({ model: 'gpt-5.5', input: 'hi' }, withScenario(s)).finalResponse(),
        () => client.embeddings.create({ model: 'text-embedding-3-small', input: 'a' }, withScenario(s)),
      ];
      for (const call of calls) {
        const error = await call().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(Type);
        expect((error as APIError).status).toBe(status);
        expect((error as APIError).requestID).toMatch(/^req_mock_/);
      }
      expect(mock.requests).toHaveLength(calls.length); // maxRetries 0: one request each
    },
  );

  it('429 carries the OpenAI error body and retry-after', async () => {
    const error = (await openaiClient(mock)
      .chat.completions.create(chatBody, withScenario('error-429'))
      .catch((e: unknown) => e)) as RateLimitError;
    expect(error.code).toBe('rate_limit_exceeded');
    expect(error.headers?.get('retry-after')).toBe('0');
  });

  it('default retries: a queued 429 then ok is two requests and one success', async () => {
    mock.queueScenarios('error-429', 'ok');
    const res = await openaiClient(mock, 2).chat.completions.create(chatBody);
    expect(res.usage).toEqual(DEFAULT_OPENAI_CHAT_USAGE);
    expect(mock.requests.map((r) => r.status)).toEqual([429, 200]);
  });
});
