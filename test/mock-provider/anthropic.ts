// Anthropic `POST /v1/messages` (plain and streamed) and `POST /v1/messages/count_tokens`.
//
// Stream event order as the API sends it: message_start (message.usage holds input and cache
// counts, output_tokens 1), content_block_start, ping, content_block_delta…, content_block_stop,
// message_delta, message_stop. `message_delta.usage` counts are cumulative; the mock sends TWO
// message_deltas (interim output 10, then the final count) so a consumer that sums them is caught.
// The SDK's Stream skips `ping` events; MessageStream overwrites usage from each message_delta.
import {
  ANTHROPIC_INTERIM_OUTPUT_TOKENS,
  ANTHROPIC_START_OUTPUT_TOKENS,
  type AnthropicMessageUsage,
} from './usage.ts';
import { ANTHROPIC_STREAM_ERROR } from './errors.ts';
import { eventFrame } from './sse.ts';
import { modelOf, mockText, mockTextChunks } from './text.ts';
import type { HandlerContext, Reply, Route } from './types.ts';

function message(ctx: HandlerContext, content: unknown[], stopReason: string | null) {
  return {
    id: `msg_mock_${ctx.seq}`,
    type: 'message',
    role: 'assistant',
    model: modelOf(ctx, 'claude-opus-4-8'),
    content,
    stop_reason: stopReason,
    stop_sequence: null,
  };
}

function plain(ctx: HandlerContext): Reply {
  const body: Record<string, unknown> = message(
    ctx,
    [{ type: 'text', text: mockText(ctx.chunks), citations: null }],
    'end_turn',
  );
  if (ctx.scenario !== 'no-usage') body['usage'] = ctx.usage.anthropic;
  return { kind: 'json', status: 200, body };
}

/** message_start carries input-side counts; output is 1 until the deltas say otherwise. */
function startUsage(u: AnthropicMessageUsage) {
  return { ...u, output_tokens: ANTHROPIC_START_OUTPUT_TOKENS, output_tokens_details: null };
}

/** The final message_delta repeats the cumulative input-side counts, as the current API does. */
function finalDeltaUsage(u: AnthropicMessageUsage) {
  return {
    input_tokens: u.input_tokens,
    cache_creation_input_tokens: u.cache_creation_input_tokens,
    cache_read_input_tokens: u.cache_read_input_tokens,
    output_tokens: u.output_tokens,
    output_tokens_details: u.output_tokens_details,
    server_tool_use: u.server_tool_use,
  };
}

function stream(ctx: HandlerContext): Reply {
  const withUsage = ctx.scenario !== 'no-usage';
  const u = ctx.usage.anthropic;
  const frames: string[] = [];
  const emit = (type: string, fields: Record<string, unknown>) =>
    frames.push(eventFrame(type, { type, ...fields }));

  const startMessage: Record<string, unknown> = message(ctx, [], null);
  if (withUsage) startMessage['usage'] = startUsage(u);
  emit('message_start', { message: startMessage });
  emit('content_block_start', { index: 0, content_block: { type: 'text', text: '', citations: null } });
  emit('ping', {});
  const opening = frames.length;

  const texts = mockTextChunks(ctx.chunks);
  for (const text of texts) {
    emit('content_block_delta', { index: 0, delta: { type: 'text_delta', text } });
  }
  const shown = opening + Math.min(ctx.settings.truncateAfterChunks, texts.length);

  if (ctx.scenario === 'stream-error') {
    // Anthropic reports failures after the 200 (typically overloaded_error) as an `error` event.
    return { kind: 'sse', frames: [...frames.slice(0, shown), eventFrame('error', ANTHROPIC_STREAM_ERROR)] };
  }

  emit('content_block_stop', { index: 0 });
  const interim = Math.min(ANTHROPIC_INTERIM_OUTPUT_TOKENS, u.output_tokens);
  const noDelta = { stop_reason: null, stop_sequence: null, stop_details: null };
  emit('message_delta', {
    delta: noDelta,
    usage: withUsage
      ? {
          input_tokens: null,
          cache_creation_input_tokens: null,
          cache_read_input_tokens: null,
          output_tokens: interim,
          output_tokens_details: null,
          server_tool_use: null,
        }
      : undefined,
  });
  emit('message_delta', {
    delta: { ...noDelta, stop_reason: 'end_turn' },
    usage: withUsage ? finalDeltaUsage(u) : undefined,
  });
  emit('message_stop', {});

  // message_start went out first, so a cut stream still carries the input-side usage.
  return { kind: 'sse', frames, cutAfter: ctx.scenario === 'truncate' ? shown : undefined };
}

export const anthropicMessagesRoute: Route = {
  name: 'anthropic.messages',
  family: 'anthropic',
  method: 'POST',
  pattern: /^\/v1\/messages$/,
  handle: (ctx) => (ctx.body['stream'] === true ? stream(ctx) : plain(ctx)),
};

export const anthropicCountTokensRoute: Route = {
  name: 'anthropic.countTokens',
  family: 'anthropic',
  method: 'POST',
  pattern: /^\/v1\/messages\/count_tokens$/,
  handle: (ctx) => ({ kind: 'json', status: 200, body: { input_tokens: ctx.usage.anthropicCountTokens } }),
};
