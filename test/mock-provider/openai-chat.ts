// OpenAI `POST /v1/chat/completions`, plain and streamed.
//
// Streaming follows what api.openai.com sends: a role chunk, content chunks, a chunk with
// `finish_reason`, then, only when `stream_options.include_usage` is true, a chunk with `choices: []`
// and `usage`; with include_usage every earlier chunk carries `usage: null`. The stream ends with
// `data: [DONE]`, which openai's Stream treats as the end sentinel.
import { OPENAI_CHAT_STREAM_ERROR } from './errors.ts';
import { dataFrame } from './sse.ts';
import { MOCK_CREATED, modelOf, mockText, mockTextChunks } from './text.ts';
import type { HandlerContext, Reply, Route } from './types.ts';

function chatPlain(ctx: HandlerContext): Reply {
  const body: Record<string, unknown> = {
    id: `chatcmpl-mock-${ctx.seq}`,
    object: 'chat.completion',
    created: MOCK_CREATED,
    model: modelOf(ctx, 'gpt-5.5'),
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: mockText(ctx.chunks), refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    service_tier: 'default',
    system_fingerprint: 'fp_mock',
  };
  if (ctx.scenario !== 'no-usage') body['usage'] = ctx.usage.openaiChat;
  return { kind: 'json', status: 200, body };
}

function chatStream(ctx: HandlerContext): Reply {
  const streamOptions = ctx.body['stream_options'] as { include_usage?: unknown } | undefined;
  const includeUsage = streamOptions?.include_usage === true && ctx.scenario !== 'no-usage';
  const base = {
    id: `chatcmpl-mock-${ctx.seq}`,
    object: 'chat.completion.chunk',
    created: MOCK_CREATED,
    model: modelOf(ctx, 'gpt-5.5'),
    service_tier: 'default',
    system_fingerprint: 'fp_mock',
  };
  const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  });

  const frames = [dataFrame(chunk({ role: 'assistant', content: '', refusal: null }, null))];
  const texts = mockTextChunks(ctx.chunks);
  for (const text of texts) frames.push(dataFrame(chunk({ content: text }, null)));

  if (ctx.scenario === 'stream-error') {
    // OpenAI reports a mid-stream failure as a data line whose JSON has `error`; no [DONE] follows.
    const cut = 1 + Math.min(ctx.settings.truncateAfterChunks, texts.length);
    return { kind: 'sse', frames: [...frames.slice(0, cut), dataFrame(OPENAI_CHAT_STREAM_ERROR)] };
  }

  frames.push(dataFrame(chunk({}, 'stop')));
  if (includeUsage) frames.push(dataFrame({ ...base, choices: [], usage: ctx.usage.openaiChat }));
  frames.push(dataFrame('[DONE]'));

  // Chat completions has no usage-bearing opening event: a cut stream carries no usage at all.
  const cutAfter =
    ctx.scenario === 'truncate' ? 1 + Math.min(ctx.settings.truncateAfterChunks, texts.length) : undefined;
  return { kind: 'sse', frames, cutAfter };
}

export const openaiChatRoute: Route = {
  name: 'openai.chat',
  family: 'openai',
  method: 'POST',
  pattern: /^\/v1\/chat\/completions$/,
  handle: (ctx) => (ctx.body['stream'] === true ? chatStream(ctx) : chatPlain(ctx)),
};
