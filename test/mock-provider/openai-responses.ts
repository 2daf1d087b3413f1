// OpenAI `POST /v1/responses`, plain and streamed.
//
// openai 7's `responses.stream()` helper (ResponseStream + response-accumulator) validates the event
// sequence strictly: the first event must be `response.created`; the response id must not change;
// `output_item.added` must append at `output_index` = current length with an item that has an `id`;
// `content_part.added` must append at `content_index`; every item-scoped event must carry `item_id`
// equal to that item's id; `response.completed` must not leave items unfinished. So the mock sends
// the full sequence a real text-only response has, with `sequence_number` on every event.
import { eventFrame } from './sse.ts';
import { MOCK_CREATED, modelOf, mockText, mockTextChunks } from './text.ts';
import type { HandlerContext, Reply, Route } from './types.ts';

function baseResponse(ctx: HandlerContext, status: 'in_progress' | 'completed') {
  return {
    id: `resp_mock_${ctx.seq}`,
    object: 'response',
    created_at: MOCK_CREATED,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model: modelOf(ctx, 'gpt-5.5'),
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    service_tier: 'default',
    store: true,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    metadata: {},
  };
}

function outputText(text: string) {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

function messageItem(ctx: HandlerContext, status: 'in_progress' | 'completed', content: unknown[]) {
  return { id: `msg_mock_${ctx.seq}`, type: 'message', status, role: 'assistant', content };
}

function plain(ctx: HandlerContext): Reply {
  const body: Record<string, unknown> = {
    ...baseResponse(ctx, 'completed'),
    output: [messageItem(ctx, 'completed', [outputText(mockText(ctx.chunks))])],
  };
  if (ctx.scenario !== 'no-usage') body['usage'] = ctx.usage.openaiResponses;
  return { kind: 'json', status: 200, body };
}

function stream(ctx: HandlerContext): Reply {
  let seq = 0;
  const frames: string[] = [];
  const emit = (type: string, fields: Record<string, unknown>) =>
    frames.push(eventFrame(type, { type, ...fields, sequence_number: seq++ }));
  const itemId = `msg_mock_${ctx.seq}`;
  const at = { item_id: itemId, output_index: 0, content_index: 0 };

  // Real interim snapshots carry `usage: null` and no output yet.
  emit('response.created', { response: { ...baseResponse(ctx, 'in_progress'), output: [], usage: null } });
  emit('response.in_progress', {
    response: { ...baseResponse(ctx, 'in_progress'), output: [], usage: null },
  });
  emit('response.output_item.added', { output_index: 0, item: messageItem(ctx, 'in_progress', []) });
  emit('response.content_part.added', { ...at, part: outputText('') });
  const opening = frames.length;

  const texts = mockTextChunks(ctx.chunks);
  for (const delta of texts) emit('response.output_text.delta', { ...at, delta, logprobs: [] });
  const shown = opening + Math.min(ctx.settings.truncateAfterChunks, texts.length);

  if (ctx.scenario === 'stream-error') {
    // The Responses API reports a mid-stream failure as an `error` event; openai raises APIError.
    const kept = frames.slice(0, shown);
    kept.push(
      eventFrame('error', {
        type: 'error',
        code: 'server_error',
        message: 'The server had an error while streaming (mock)',
        param: null,
        sequence_number: shown,
      }),
    );
    return { kind: 'sse', frames: kept };
  }

  const text = mockText(ctx.chunks);
  const item = messageItem(ctx, 'completed', [outputText(text)]);
  emit('response.output_text.done', { ...at, text, logprobs: [] });
  emit('response.content_part.done', { ...at, part: outputText(text) });
  emit('response.output_item.done', { output_index: 0, item });
  const completed: Record<string, unknown> = { ...baseResponse(ctx, 'completed'), output: [item] };
  if (ctx.scenario !== 'no-usage') completed['usage'] = ctx.usage.openaiResponses;
  emit('response.completed', { response: completed });

  // Usage arrives only with response.completed, so a cut stream has none.
  return { kind: 'sse', frames, cutAfter: ctx.scenario === 'truncate' ? shown : undefined };
}

export const openaiResponsesRoute: Route = {
  name: 'openai.responses',
  family: 'openai',
  method: 'POST',
  pattern: /^\/v1\/responses$/,
  handle: (ctx) => (ctx.body['stream'] === true ? stream(ctx) : plain(ctx)),
};
