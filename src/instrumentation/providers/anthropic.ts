import { context, trace } from '@opentelemetry/api';
import { GEN_AI_OPERATION, GEN_AI_PROVIDER } from '../../semconv.ts';
import type { GenAiRequest } from '../call.ts';
import { insideRecordedCall, runMarked, wrapMethod } from '../patch.ts';
import { type ApiPromiseLike, stainlessCall } from '../stainless.ts';
import { observeIterator } from '../stream-observer.ts';
import { missingUsageFailure, num, StreamAborted, serverOf } from './common.ts';
import type { CallTracker, GenAiTelemetry } from '../telemetry.ts';
import { MessageStreamState, messageResult } from './anthropic-results.ts';

/**
 * The @anthropic-ai/sdk (v1). `messages.create` is a prototype method of `Messages`, and
 * the SDK's helpers go through it: `messages.parse()` calls `this.create()`, and the
 * `MessageStream` of `messages.stream()` calls `messages.create({ stream: true })`. So
 * wrapping `create` alone counts every path once. `countTokens` is left alone: it is an
 * estimate a guard asks for, not spend.
 *
 * The wrapper returns the SDK's own APIPromise (through `_thenUnwrap`, so `.withResponse()`
 * and `.asResponse()` keep working) and, for streams, the SDK's own Stream with its
 * iterator observed (so `tee()`, `controller` and `toReadableStream()` keep working, and
 * `MessageStream` keeps its events, `currentMessage` and `finalMessage()`).
 */
type Obj = Record<string, unknown>;
type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

interface StreamLike {
  iterator: () => AsyncIterator<unknown>;
  controller?: { signal?: AbortSignal };
}

export interface AnthropicOptions {
  /** gen_ai.provider.name to report instead of the one the client declares. */
  provider?: string;
}

function toRequest(body: Obj, client: Obj | undefined, opts: AnthropicOptions): GenAiRequest {
  // Clients for other platforms (Bedrock, Vertex) share this Messages class and declare
  // their own provider name: spend is attributed to the platform that bills it.
  const declared = client?._genAIProviderName;
  const server = serverOf(
    typeof client?.baseURL === 'string' ? client.baseURL : undefined,
    'https://api.anthropic.com',
  );
  const stop = body.stop_sequences;
  const req: GenAiRequest = {
    provider: opts.provider ?? (typeof declared === 'string' ? declared : GEN_AI_PROVIDER.ANTHROPIC),
    operation: GEN_AI_OPERATION.CHAT,
    model: typeof body.model === 'string' ? body.model : 'unknown',
    stream: body.stream === true,
    params: {
      maxTokens: num(body.max_tokens),
      temperature: num(body.temperature),
      topP: num(body.top_p),
      topK: num(body.top_k),
      stopSequences: Array.isArray(stop) ? stop.filter((s): s is string => typeof s === 'string') : undefined,
    },
    input: body.messages,
  };
  if (server.address !== undefined) req.serverAddress = server.address;
  if (server.port !== undefined) req.serverPort = server.port;
  return req;
}

function observeStream(t: GenAiTelemetry, stream: StreamLike, call: CallTracker): void {
  const make = stream.iterator;
  const state = new MessageStreamState();
  stream.iterator = function observed(this: unknown) {
    return observeIterator(make.call(this ?? stream), {
      item(event) {
        // Chunks are output: message_start and block starts arrive before any generation,
        // so timing them would report a time to first chunk that no reader ever sees.
        if ((event as Obj | undefined)?.type === 'content_block_delta') call.chunk();
        state.add(event);
        return true;
      },
      end(error) {
        const result = state.result;
        if (error === undefined && stream.controller?.signal?.aborted)
          error = new StreamAborted('stream aborted');
        call.end(result, error);
        return error === undefined ? missingUsageFailure(t, call, result) : undefined;
      },
    });
  };
}

function makeWrapper(t: GenAiTelemetry, opts: AnthropicOptions) {
  return (original: AnyFn): AnyFn =>
    function bursarWrapped(this: unknown, body: unknown, ...rest: unknown[]): unknown {
      if (insideRecordedCall() || typeof body !== 'object' || body === null)
        return original.call(this, body, ...rest);
      const params = body as Obj;
      const self = this as Obj | undefined;
      const req = toRequest(params, self?._client as Obj | undefined, opts);
      const invoke = (call: CallTracker): ApiPromiseLike => {
        let promise: ApiPromiseLike;
        try {
          // Our span is active while the SDK sends the request, so the SDK's own call span
          // and any HTTP client spans are its children.
          promise = context.with(trace.setSpan(context.active(), call.span), () =>
            runMarked(() => original.call(this, body, ...rest)),
          ) as ApiPromiseLike;
        } catch (error) {
          call.end(undefined, error);
          throw error;
        }
        // HTTP and network failures never reach the result transform.
        promise?.responsePromise?.then(undefined, (error: unknown) => call.end(undefined, error));
        return promise;
      };
      const streamed = params.stream === true;
      const transform = (call: CallTracker) => (result: unknown) => {
        if (streamed && typeof (result as StreamLike | undefined)?.iterator === 'function') {
          observeStream(t, result as StreamLike, call);
          return result;
        }
        const read = messageResult(result);
        call.end(read);
        const failure = missingUsageFailure(t, call, read);
        if (failure) throw failure;
        return result;
      };
      // The guard may size the input with the SDK's own (unbilled, unrecorded) counter.
      const countTokens = self?.countTokens;
      const count =
        typeof countTokens === 'function'
          ? async () => {
              const { model, messages, system, tools, tool_choice, thinking } = params;
              const counted = (await countTokens.call(self, {
                model,
                messages,
                system,
                tools,
                tool_choice,
                thinking,
              })) as Obj;
              return typeof counted?.input_tokens === 'number' ? counted.input_tokens : undefined;
            }
          : undefined;
      return stainlessCall(t, req, self?._client, invoke, transform, messageResult, streamed, count);
    };
}

/**
 * The `Messages` prototype of an @anthropic-ai/sdk module: its CJS exports or its ESM
 * namespace (`Anthropic`, `default` or `default.Anthropic` is the client class, which
 * carries `Messages` as a static), or a module that exports `Messages` itself.
 */
function messagesPrototype(mod: unknown): object | undefined {
  const m = mod as Obj | undefined;
  const d = m?.default as Obj | undefined;
  for (const holder of [m?.Anthropic, d?.Anthropic, d, m]) {
    const Messages = (holder as Obj | undefined)?.Messages;
    if (typeof Messages !== 'function') continue;
    const proto = (Messages as { prototype?: Obj }).prototype;
    if (typeof proto?.create === 'function') return proto;
  }
  return undefined;
}

/**
 * Patches the SDK module's `Messages` prototype: every client made from it is
 * instrumented. The package ships separate CJS and ESM builds with separate classes;
 * each one loaded must be patched.
 */
export function patchAnthropicModule(mod: unknown, t: GenAiTelemetry): () => void {
  const proto = messagesPrototype(mod);
  if (!proto) throw new Error('@anthropic-ai/sdk: no Messages class to patch');
  return wrapMethod(proto, 'create', makeWrapper(t, {}));
}

/**
 * Instruments one client instance (bundled or edge code with no loader hooks). Copies
 * made later with `client.withOptions()` have their own `messages` and are not covered.
 */
export function instrumentAnthropicClient<C extends object>(
  client: C,
  t: GenAiTelemetry,
  opts: AnthropicOptions = {},
): C {
  const messages = (client as Obj).messages;
  if (typeof messages !== 'object' || messages === null)
    throw new Error('@anthropic-ai/sdk: the client has no messages resource');
  wrapMethod(messages, 'create', makeWrapper(t, opts));
  return client;
}
