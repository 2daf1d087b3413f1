import { GEN_AI_OPERATION, GEN_AI_PROVIDER } from '../../semconv.ts';
import type { GenAiRequest } from '../call.ts';
import { insideRecordedCall, runMarked, wrapMethod } from '../patch.ts';
import { observeIterator } from '../stream-observer.ts';
import { missingUsageFailure, num, StreamAborted, serverOf } from './common.ts';
import type { CallTracker, GenAiTelemetry } from '../telemetry.ts';
import { embedContentResult, GenerateStreamState, generateContentResult } from './gemini-results.ts';

/**
 * @google/genai (v3). The public `models.generateContent`, `generateContentStream` and
 * `embedContent` are arrow functions the Models constructor puts on each instance, and
 * each may make several HTTP requests for one user call: automatic function calling
 * loops, and automatic continuation (SDK 3.1, on by default) re-requests a response cut
 * at a checkpoint and returns the hops merged. Every one of those requests goes through
 * a prototype method — `generateContentInternal`, `generateContentStreamInternal`,
 * `embedContentInternal` — looked up on `this`, so wrapping those records one call per
 * billed HTTP request, each with its own usage. Wrapping the public functions instead
 * would see the AFC loop as one call carrying only the last response's usage.
 * `chats.create().sendMessage/sendMessageStream` call `models.generateContent/Stream`
 * of the same Models instance and so go through the same methods. `countTokens` is not
 * wrapped: it bills nothing and is only used for guard estimates.
 */
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;

type Kind = 'generate' | 'stream' | 'embed';
const KINDS = ['generate', 'stream', 'embed'] as const;
/** Where each HTTP request goes through (prototype methods). */
const INTERNAL: Record<Kind, string> = {
  generate: 'generateContentInternal',
  stream: 'generateContentStreamInternal',
  embed: 'embedContentInternal',
};
/** The public instance functions, wrapped only if an SDK without the methods above turns up. */
const PUBLIC: Record<Kind, string> = {
  generate: 'generateContent',
  stream: 'generateContentStream',
  embed: 'embedContent',
};

export interface GeminiOptions {
  /** gen_ai.provider.name to report instead of gcp.gemini / gcp.vertex_ai. */
  provider?: string;
}

interface ApiClientLike {
  isVertexAI?: () => boolean;
  getBaseUrl?: () => string;
}

interface Config extends Obj {
  httpOptions?: { baseUrl?: unknown } | null;
  abortSignal?: AbortSignal | null;
}

function baseUrlOf(config: Config | undefined, api: ApiClientLike | undefined): string | undefined {
  // A per-request httpOptions.baseUrl overrides the client's.
  const own = config?.httpOptions?.baseUrl;
  if (typeof own === 'string') return own;
  try {
    return api?.getBaseUrl?.();
  } catch {
    // getBaseUrl() throws when the client was built without one; the default applies.
    return undefined;
  }
}

function toRequest(kind: Kind, p: Obj, models: unknown, opts: GeminiOptions): GenAiRequest {
  const api = (isObj(models) ? models.apiClient : undefined) as ApiClientLike | undefined;
  const vertex = typeof api?.isVertexAI === 'function' && api.isVertexAI() === true;
  const config = isObj(p.config) ? (p.config as Config) : undefined;
  const server = serverOf(baseUrlOf(config, api), 'https://generativelanguage.googleapis.com');
  const stop = config?.stopSequences;
  const req: GenAiRequest = {
    provider: opts.provider ?? (vertex ? GEN_AI_PROVIDER.GCP_VERTEX_AI : GEN_AI_PROVIDER.GCP_GEMINI),
    operation: kind === 'embed' ? GEN_AI_OPERATION.EMBEDDINGS : GEN_AI_OPERATION.GENERATE_CONTENT,
    // As given (`models/gemini-2.5-flash` included): the price catalog strips prefixes itself.
    model: typeof p.model === 'string' ? p.model : 'unknown',
    stream: kind === 'stream',
    input: kind === 'embed' ? undefined : p.contents,
  };
  if (config && kind !== 'embed') {
    req.params = {
      maxTokens: num(config.maxOutputTokens),
      temperature: num(config.temperature),
      topP: num(config.topP),
      topK: num(config.topK),
      frequencyPenalty: num(config.frequencyPenalty),
      presencePenalty: num(config.presencePenalty),
      seed: num(config.seed),
      choiceCount: num(config.candidateCount),
      stopSequences: Array.isArray(stop) ? stop.filter((s): s is string => typeof s === 'string') : undefined,
    };
  }
  if (server.address !== undefined) req.serverAddress = server.address;
  if (server.port !== undefined) req.serverPort = server.port;
  return req;
}

/**
 * The caller gets an object with the SDK stream's own prototype (genai 3.1 builds its
 * async generators with tslib, so that is a plain object; a native generator would keep
 * its toStringTag and asyncDispose) and `next`/`return`/`throw` observed. A stream the
 * caller leaves early (break, return()) ends the span there with the usage of the last
 * chunk seen; genai itself keeps reading the HTTP body.
 */
function observeStream(t: GenAiTelemetry, call: CallTracker, stream: unknown, config?: Config): unknown {
  if (!isObj(stream) || typeof stream.next !== 'function') {
    call.end(undefined);
    return stream;
  }
  const state = new GenerateStreamState();
  const observed = observeIterator(stream as unknown as AsyncIterator<unknown>, {
    item(chunk) {
      call.chunk();
      state.add(chunk);
      return true;
    },
    end(error) {
      if (error === undefined && config?.abortSignal?.aborted) error = new StreamAborted('stream aborted');
      const result = state.result();
      call.end(result, error);
      return error === undefined ? missingUsageFailure(t, call, result) : undefined;
    },
  });
  const out = Object.create(Object.getPrototypeOf(stream) as object) as object;
  const own = (value: unknown): PropertyDescriptor => ({ value, writable: true, configurable: true });
  Object.defineProperties(out, {
    // The observer's methods read their own object: bound here, once per stream.
    next: own(observed.next.bind(observed)),
    return: own(observed.return!.bind(observed)),
    throw: own(observed.throw!.bind(observed)),
    [Symbol.asyncIterator]: own(function self(this: unknown) {
      return this;
    }),
  });
  return out;
}

/** `owner` is the Models instance, for wrappers whose `this` may be lost (public arrow functions). */
function makeWrapper(t: GenAiTelemetry, kind: Kind, opts: GeminiOptions, owner?: object) {
  return (original: (this: unknown, ...args: unknown[]) => unknown) =>
    function bursarWrapped(this: unknown, params: unknown, ...rest: unknown[]): unknown {
      if (insideRecordedCall() || !isObj(params)) return original.call(this, params, ...rest);
      const req = toRequest(kind, params, owner ?? this, opts);
      const run = (call: CallTracker): Promise<unknown> => {
        let pending: unknown;
        try {
          pending = runMarked(() => original.call(this, params, ...rest));
        } catch (error) {
          call.end(undefined, error);
          throw error;
        }
        const config = isObj(params.config) ? (params.config as Config) : undefined;
        // HTTP errors (429, 5xx), network failures and aborts before the first byte reject here.
        return Promise.resolve(pending).then(
          (value: unknown) => {
            if (kind === 'stream') return observeStream(t, call, value, config);
            const result = kind === 'embed' ? embedContentResult(value) : generateContentResult(value);
            call.end(result);
            const failure = missingUsageFailure(t, call, result);
            if (failure) throw failure;
            return value;
          },
          (error: unknown) => {
            call.end(undefined, error);
            throw error;
          },
        );
      };
      const guard = t.guard;
      if (guard) {
        // Reserve first: a denial rejects before any request is sent.
        // The guard may size the input with the SDK's own (unrecorded) countTokens.
        const models = (owner ?? this) as Obj;
        const countTokens = models.countTokens;
        const count =
          kind !== 'embed' && typeof countTokens === 'function'
            ? async () => {
                const counted = (await countTokens.call(models, {
                  model: params.model,
                  contents: params.contents,
                })) as Obj;
                return typeof counted?.totalTokens === 'number' ? counted.totalTokens : undefined;
              }
            : undefined;
        return guard.admit(req, count).then((admission) => {
          const call = t.start(req);
          call.admission = admission;
          return run(call);
        });
      }
      return run(t.start(req));
    };
}

/** The Models prototype of a @google/genai module (CJS exports or ESM namespace). */
function modelsPrototype(mod: unknown): Obj | undefined {
  const m = mod as Obj;
  const Models = m.Models ?? (m.default as Obj | undefined)?.Models;
  return typeof Models === 'function' ? (Models as { prototype: Obj }).prototype : undefined;
}

/** Patches the SDK module's Models prototype: every client made from it is instrumented. */
export function patchGeminiModule(mod: unknown, t: GenAiTelemetry): () => void {
  const proto = modelsPrototype(mod);
  const undo: (() => void)[] = [];
  for (const kind of KINDS) {
    if (proto && typeof proto[INTERNAL[kind]] === 'function')
      undo.push(wrapMethod(proto, INTERNAL[kind], makeWrapper(t, kind, {})));
  }
  if (undo.length === 0) throw new Error('@google/genai: no known Models methods to patch');
  return () => undo.forEach((u) => u());
}

/**
 * Instruments one GoogleGenAI instance (bundled or edge code with no loader hooks). The
 * request methods are shadowed on its `models` object, so chats made from the client are
 * covered too. On a client whose module is already patched this adds nothing: one
 * record per provider call either way.
 */
export function instrumentGeminiClient<C extends object>(
  client: C,
  t: GenAiTelemetry,
  opts: GeminiOptions = {},
): C {
  const models = (client as Obj).models;
  if (!isObj(models)) throw new Error('@google/genai: the client has no models to instrument');
  for (const kind of KINDS) {
    if (typeof models[INTERNAL[kind]] === 'function') {
      wrapMethod(models, INTERNAL[kind], makeWrapper(t, kind, opts, models));
    } else if (typeof models[PUBLIC[kind]] === 'function') {
      wrapMethod(models, PUBLIC[kind], makeWrapper(t, kind, opts, models));
    }
  }
  return client;
}
