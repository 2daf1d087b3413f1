// The mock provider's own contract: listening, routing, recording, scenario selection, settings and
// usage overrides, close(). Driven with plain fetch so a failure here points at the mock, not an SDK;
// the per-SDK suites (openai/anthropic/gemini.test.ts) drive the real SDKs.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, startMockProvider, type MockProvider } from './mock-provider.ts';
import { SCENARIO_HEADER, SCENARIOS } from './scenarios.ts';
import { openaiClient } from './sdk-clients.ts';
import { mockText } from './text.ts';
import { DEFAULT_OPENAI_CHAT_USAGE, DEFAULT_USAGE } from './usage.ts';

let mock: MockProvider;
beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(async () => {
  await mock.close();
});
beforeEach(() => mock.reset());

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${mock.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    json: text ? (JSON.parse(text) as unknown) : undefined,
  };
}

const chat = { model: 'gpt-5.5', messages: [] };
const usageOf = (r: { json: unknown }) => (r.json as { usage?: unknown }).usage;

describe('mock provider server', () => {
  it('listens on 127.0.0.1 with an ephemeral port and exposes per-SDK base URLs', async () => {
    expect(mock.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(mock.openaiBaseURL).toBe(`${mock.url}/v1`);
    expect(mock.anthropicBaseURL).toBe(mock.url);
    expect(mock.geminiBaseUrl).toBe(mock.url);
    const other = await startMockProvider();
    try {
      expect(other.url).not.toBe(mock.url);
    } finally {
      await other.close();
    }
  });

  it('records method, path, lower-cased headers and the parsed JSON body', async () => {
    await post('/v1/chat/completions', { ...chat, stream: false }, { 'X-Custom': 'yes' });
    expect(mock.requests).toHaveLength(1);
    expect(mock.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      body: { model: 'gpt-5.5', stream: false },
      route: 'openai.chat',
      scenario: 'ok',
      stream: false,
      status: 200,
      outcome: 'completed',
    });
    expect(mock.requests[0]?.headers['x-custom']).toBe('yes');
  });

  it('answers an unknown route with 404 and still records it', async () => {
    const res = await post('/v1/nope', {});
    expect(res.status).toBe(404);
    expect(res.text).toContain('mock-provider: no route for POST /v1/nope');
    expect(mock.requests[0]).toMatchObject({ path: '/v1/nope', route: undefined });
  });

  it('rejects an unknown scenario name loudly instead of treating it as ok', async () => {
    const res = await post('/v1/chat/completions', chat, { [SCENARIO_HEADER]: 'eror-429' });
    expect(res.status).toBe(400);
    expect(res.text).toContain("unknown scenario 'eror-429'");
  });

  it('records a body that is not JSON as its text', async () => {
    const res = await post('/v1/chat/completions', 'not json');
    expect(res.status).toBe(200);
    expect(mock.requests[0]?.body).toBe('not json');
  });
});

describe('scenario selection', () => {
  it('lists the scenario names', () => {
    expect(SCENARIOS).toEqual([
      'ok',
      'error-400',
      'error-429',
      'error-500',
      'truncate',
      'slow',
      'no-usage',
      'stream-error',
    ]);
  });

  it('header beats queue beats default; header requests do not consume the queue', async () => {
    mock.setScenario('no-usage');
    mock.queueScenarios('error-500', 'error-400');
    const statuses = [
      (await post('/v1/chat/completions', chat, { [SCENARIO_HEADER]: 'ok' })).status,
      (await post('/v1/chat/completions', chat)).status,
      (await post('/v1/chat/completions', chat)).status,
      (await post('/v1/chat/completions', chat)).status,
    ];
    expect(statuses).toEqual([200, 500, 400, 200]);
    expect(mock.requests.map((r) => r.scenario)).toEqual(['ok', 'error-500', 'error-400', 'no-usage']);
  });

  it('429 replies carry retry-after from settings', async () => {
    mock.settings.retryAfterSeconds = 7;
    const res = await post('/v1/chat/completions', chat, { [SCENARIO_HEADER]: 'error-429' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
  });

  it('slow delays plain replies by slowDelayMs', async () => {
    mock.settings.slowDelayMs = 120;
    const start = performance.now();
    await post('/v1/embeddings', { input: 'a' }, { [SCENARIO_HEADER]: 'slow' });
    expect(performance.now() - start).toBeGreaterThanOrEqual(110);
  });

  it('reset() restores the initial scenario, settings and usage and clears the queue', async () => {
    mock.setScenario('error-500');
    mock.queueScenarios('error-400');
    mock.settings.chunks = 9;
    mock.setUsage({ openaiEmbeddings: { prompt_tokens: 1, total_tokens: 1 } });
    mock.reset();
    expect(mock.settings).toEqual(DEFAULT_SETTINGS);
    expect(mock.usage).toEqual(DEFAULT_USAGE);
    expect((await post('/v1/chat/completions', chat)).status).toBe(200);
  });
});

describe('usage and chunk configuration', () => {
  it('setUsage() replaces one family; others keep their defaults', async () => {
    const custom = { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 };
    mock.setUsage({ openaiChat: custom });
    expect(usageOf(await post('/v1/chat/completions', chat))).toEqual(custom);
    expect(usageOf(await post('/v1/embeddings', { input: 'a' }))).toEqual(DEFAULT_USAGE.openaiEmbeddings);
  });

  it('start options set usage, chunks and scenario for a whole mock', async () => {
    const custom = await startMockProvider({
      usage: { openaiChat: { prompt_tokens: 10, completion_tokens: 20, total_tokens: 30 } },
      chunks: 3,
      scenario: 'no-usage',
    });
    try {
      const client = openaiClient(custom);
      const plain = await client.chat.completions.create({ model: 'gpt-5.5', messages: [] });
      expect(plain.usage).toBeUndefined();
      expect(plain.choices[0]?.message.content).toBe(mockText(3));
      custom.setScenario('ok');
      const again = await client.chat.completions.create({ model: 'gpt-5.5', messages: [] });
      expect(again.usage).toEqual({ prompt_tokens: 10, completion_tokens: 20, total_tokens: 30 });
    } finally {
      await custom.close();
    }
  });

  it('the default usage constants are internally consistent', () => {
    const chatUsage = DEFAULT_OPENAI_CHAT_USAGE;
    expect(chatUsage.prompt_tokens + chatUsage.completion_tokens).toBe(chatUsage.total_tokens);
    const r = DEFAULT_USAGE.openaiResponses;
    expect(r.input_tokens + r.output_tokens).toBe(r.total_tokens);
    const g = DEFAULT_USAGE.gemini;
    expect(g.promptTokenCount! + g.candidatesTokenCount! + g.thoughtsTokenCount!).toBe(g.totalTokenCount);
    const a = DEFAULT_USAGE.anthropic;
    expect(a.cache_creation!.ephemeral_5m_input_tokens + a.cache_creation!.ephemeral_1h_input_tokens).toBe(
      a.cache_creation_input_tokens,
    );
  });
});

describe('close()', () => {
  it('resolves while a kept-alive connection and a slow stream are open', async () => {
    const m = await startMockProvider({ slowDelayMs: 1000, chunks: 50 });
    await fetch(`${m.url}/v1/embeddings`, { method: 'POST', body: '{}' }).then((r) => r.text());
    const streaming = await fetch(`${m.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { [SCENARIO_HEADER]: 'slow' },
      body: JSON.stringify({ stream: true }),
    });
    expect(streaming.status).toBe(200);
    const start = performance.now();
    await m.close();
    expect(performance.now() - start).toBeLessThan(500);
    await streaming.body?.cancel().catch(() => undefined);
  });
});
