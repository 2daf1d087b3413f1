import { GEN_AI_OPERATION, type GenAiOperation } from '../../semconv.ts';
import type { GenAiRequest } from '../call.ts';
import { insideRecordedCall, runNested, wrapMethod } from '../patch.ts';
import { type ApiPromiseLike, stainlessCall } from '../stainless.ts';
import { observeIterator } from '../stream-observer.ts';
import { missingUsageFailure, num, StreamAborted } from './common.ts';
import type { CallTracker, GenAiTelemetry } from '../telemetry.ts';
import { openAICompatibleServer } from './openai-compatible.ts';
import {
  ChatStreamState,
  chatCompletionResult,
  embeddingsResult,
  ResponseStreamState,
  responseResult,
} from './openai-results.ts';

/**
 * The openai SDK (v7). `chat.completions.create`, `responses.create` and
 * `embeddings.create` are prototype methods; the SDK's own helpers (`parse`,
 * `stream`, `runTools`, `responses.stream`) all call them, so wrapping these three
 * covers every path. The wrapper returns the SDK's own APIPromise (through its
 * `_thenUnwrap`, so `.withResponse()` and `.asResponse()` keep working) and, for
 * streams, the SDK's own Stream object with its iterator observed (so `tee()`,
 * `controller` and `toReadableStream()` keep working).
 */
type Obj = Record<string, unknown>;
type Body = Obj & { model?: unknown; stream?: unknown; stream_options?: Obj | null };

interface StreamLike {
  iterator: () => AsyncIterator<unknown>;
  controller?: { signal?: AbortSignal };
}

type Kind = 'chat' | 'responses' | 'embeddings';
const OPERATION: Record<Kind, GenAiOperation> = {
  chat: GEN_AI_OPERATION.CHAT,
  responses: GEN_AI_OPERATION.CHAT,
  embeddings: GEN_AI_OPERATION.EMBEDDINGS,
};

export interface OpenAIOptions {
  /** gen_ai.provider.name to report instead of the one read from the base URL. */
  provider?: string;
}

function toRequest(kind: Kind, body: Body, client: Obj | undefined, opts: OpenAIOptions): GenAiRequest {
  const server = openAICompatibleServer(typeof client?.baseURL === 'string' ? client.baseURL : undefined);
  const stop = body.stop;
  const req: GenAiRequest = {
    provider: opts.provider ?? server.provider,
    operation: OPERATION[kind],
    model: typeof body.model === 'string' ? body.model : 'unknown',
    stream: body.stream === true,
    params: {
      maxTokens: num(body.max_completion_tokens) ?? num(body.max_tokens) ?? num(body.max_output_tokens),
      temperature: num(body.temperature),
      topP: num(body.top_p),
      frequencyPenalty: num(body.frequency_penalty),
      presencePenalty: num(body.presence_penalty),
      seed: num(body.seed),
      choiceCount: num(body.n),
      stopSequences: typeof stop === 'string' ? [stop] : Array.isArray(stop) ? (stop as string[]) : undefined,
    },
    input: kind === 'responses' ? body.input : kind === 'chat' ? body.messages : undefined,
  };
  if (server.address !== undefined) req.serverAddress = server.address;
  if (server.port !== undefined) req.serverPort = server.port;
  return req;
}

function observeStream(
  t: GenAiTelemetry,
  kind: Kind,
  stream: StreamLike,
  call: CallTracker,
  injected: boolean,
): void {
  const make = stream.iterator;
  if (typeof make !== 'function') {
    call.end(undefined);
    return;
  }
  const hide = injected && t.settings.hideInjectedUsageChunk;
  const chat = kind === 'responses' ? undefined : new ChatStreamState();
  const responses = kind === 'responses' ? new ResponseStreamState() : undefined;
  stream.iterator = function observed(this: unknown) {
    return observeIterator(make.call(this ?? stream), {
      item(value) {
        call.chunk();
        if (responses) {
          responses.add(value);
          return true;
        }
        return !(chat!.add(value) && hide);
      },
      end(error) {
        const result = responses ? responses.result : chat!.result;
        if (error === undefined && stream.controller?.signal?.aborted)
          error = new StreamAborted('stream aborted');
        call.end(result, error);
        return error === undefined ? missingUsageFailure(t, call, result) : undefined;
      },
    });
  };
}

function makeWrapper(t: GenAiTelemetry, kind: Kind, opts: OpenAIOptions) {
  return (original: (this: unknown, ...args: unknown[]) => unknown) =>
    function bursarWrapped(this: unknown, body: unknown, ...rest: unknown[]): unknown {
      if (insideRecordedCall() || typeof body !== 'object' || body === null)
        return original.call(this, body, ...rest);
      let send = body as Body;
      let injected = false;
      // Chat streams report usage only when asked: ask, and hide the extra chunk
      // from callers who did not.
      if (
        kind === 'chat' &&
        send.stream === true &&
        t.settings.injectStreamUsage &&
        !send.stream_options?.include_usage
      ) {
        injected = send.stream_options?.include_usage === undefined;
        if (injected)
          send = { ...send, stream_options: { ...(send.stream_options ?? {}), include_usage: true } };
      }
      const self = this as Obj | undefined;
      const req = toRequest(kind, send, self?._client as Obj | undefined, opts);
      const invoke = (call: CallTracker): ApiPromiseLike => {
        let promise: ApiPromiseLike;
        try {
          // create() never calls a wrapped method after it returns: the synchronous marker suffices.
          promise = runNested(() => original.call(this, send, ...rest)) as ApiPromiseLike;
        } catch (error) {
          call.end(undefined, error);
          throw error;
        }
        // HTTP and network failures never reach the result transform.
        promise?.responsePromise?.then(undefined, (error: unknown) => call.end(undefined, error));
        return promise;
      };
      const transform = (call: CallTracker) => (result: unknown) => {
        if (send.stream === true && result && typeof (result as StreamLike).iterator === 'function') {
          observeStream(t, kind, result as StreamLike, call, injected);
          return result;
        }
        const read =
          kind === 'chat'
            ? chatCompletionResult(result)
            : kind === 'responses'
              ? responseResult(result)
              : embeddingsResult(result);
        call.end(read);
        const failure = missingUsageFailure(t, call, read);
        if (failure) throw failure;
        return result;
      };
      const readPlain =
        kind === 'chat' ? chatCompletionResult : kind === 'responses' ? responseResult : embeddingsResult;
      return stainlessCall(t, req, self?._client, invoke, transform, readPlain, send.stream === true);
    };
}

/** The resource prototypes of an openai module (CJS exports or ESM namespace). */
function resources(mod: unknown): { chat?: object; responses?: object; embeddings?: object } {
  const m = mod as Obj;
  const OpenAI = (m.OpenAI ?? (m.default as Obj | undefined)?.OpenAI ?? m.default ?? m) as Obj;
  const proto = (C: unknown) =>
    typeof C === 'function' ? (C as { prototype: object }).prototype : undefined;
  const Chat = OpenAI.Chat as Obj | undefined;
  return {
    chat: proto(Chat?.Completions),
    responses: proto(OpenAI.Responses),
    embeddings: proto(OpenAI.Embeddings),
  };
}

function patchTargets(
  targets: { chat?: object; responses?: object; embeddings?: object },
  t: GenAiTelemetry,
  opts: OpenAIOptions,
) {
  const undo: (() => void)[] = [];
  for (const kind of ['chat', 'responses', 'embeddings'] as const) {
    const target = targets[kind];
    if (target) undo.push(wrapMethod(target, 'create', makeWrapper(t, kind, opts)));
  }
  return () => undo.forEach((u) => u());
}

/** Patches the SDK module's prototypes: every client made from it is instrumented. */
export function patchOpenAIModule(mod: unknown, t: GenAiTelemetry): () => void {
  const targets = resources(mod);
  if (!targets.chat && !targets.responses && !targets.embeddings)
    throw new Error('openai: no known resources to patch');
  return patchTargets(targets, t, {});
}

/** Instruments one client instance (bundled or edge code with no loader hooks). */
export function instrumentOpenAIClient<C extends object>(
  client: C,
  t: GenAiTelemetry,
  opts: OpenAIOptions = {},
): C {
  const c = client as Obj;
  patchTargets(
    {
      chat: (c.chat as Obj | undefined)?.completions as object | undefined,
      responses: c.responses as object | undefined,
      embeddings: c.embeddings as object | undefined,
    },
    t,
    opts,
  );
  return client;
}
