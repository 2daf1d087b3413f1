import { sdkFlavoured } from './sdk-budget-error.ts';
import type { GenAiRequest, GenAiResult } from './call.ts';
import { runMarked } from './patch.ts';
import type { TokenCounter } from './guard.ts';
import type { CallTracker, GenAiTelemetry } from './telemetry.ts';

/**
 * Helpers for the openai and @anthropic-ai/sdk clients, which share one design: a
 * method returns an `APIPromise` whose `responsePromise` holds the HTTP response and
 * whose `parseResponse` turns it into the result.
 */
export interface ApiPromiseLike {
  _thenUnwrap(transform: (result: unknown, props: unknown) => unknown): ApiPromiseLike;
  responsePromise?: Promise<unknown>;
  parseResponse?: (client: unknown, props: unknown) => unknown;
  /** Set once something asked for the parsed body. */
  parsedPromise?: unknown;
}

type ApiPromiseClass = new (
  client: unknown,
  responsePromise: Promise<unknown>,
  parse?: (client: unknown, props: unknown) => unknown,
) => ApiPromiseLike;

const classes = new WeakMap<object, ApiPromiseClass>();

/**
 * The SDK's own APIPromise class for a client. `client.request()` awaits its options
 * before anything is sent, so asking it for a request whose options never arrive
 * yields an APIPromise instance — and so its class — without any network traffic.
 */
export function apiPromiseClass(client: object): ApiPromiseClass | undefined {
  const known = classes.get(client.constructor);
  if (known) return known;
  const request = (client as { request?: (o: Promise<never>) => unknown }).request;
  if (typeof request !== 'function') return undefined;
  const probe = runMarked(() => request.call(client, new Promise<never>(() => {}))) as {
    constructor?: unknown;
  };
  const ctor = probe?.constructor as ApiPromiseClass | undefined;
  if (typeof ctor !== 'function' || typeof (ctor.prototype as ApiPromiseLike)._thenUnwrap !== 'function')
    return undefined;
  classes.set(client.constructor, ctor);
  return ctor;
}

/**
 * An APIPromise of the SDK's own class whose request starts only after `before()`
 * resolved: the guard's reservation comes first, and a denial rejects the promise
 * without any request being sent. `.withResponse()`, `.asResponse()` and streams
 * behave as on an unguarded call.
 */
export function deferredApiPromise(
  client: object,
  before: () => Promise<void>,
  start: () => ApiPromiseLike,
): ApiPromiseLike | undefined {
  const Ctor = apiPromiseClass(client);
  if (!Ctor) return undefined;
  let inner: ApiPromiseLike | undefined;
  const responsePromise = (async () => {
    await before();
    inner = start();
    return inner.responsePromise;
  })();
  return new Ctor(client, responsePromise, (c, props) => inner!.parseResponse!.call(inner, c, props));
}

/**
 * With a guard set: reserve first, start the call (span) once admitted, send the request
 * only then, and return the SDK's own APIPromise throughout. Undefined when there is no
 * guard (or no way to build the SDK's promise), so the caller takes the plain path.
 */
export function guardedCall(
  t: GenAiTelemetry,
  req: GenAiRequest,
  client: unknown,
  invoke: (call: CallTracker) => ApiPromiseLike,
  transform: (call: CallTracker) => (result: unknown) => unknown,
  count?: TokenCounter,
): ApiPromiseLike | undefined {
  const guard = t.guard;
  if (!guard || typeof client !== 'object' || client === null) return undefined;
  let call: CallTracker | undefined;
  const deferred = deferredApiPromise(
    client,
    async () => {
      let admission: Awaited<ReturnType<typeof guard.admit>>;
      try {
        admission = await guard.admit(req, count);
      } catch (error) {
        // As the SDK's own error kind, so its stream helpers do not wrap it.
        throw sdkFlavoured(error, client);
      }
      call = t.start(req);
      call.admission = admission;
    },
    () => invoke(call!),
  );
  return deferred?._thenUnwrap((result) => transform(call!)(result));
}

/**
 * The whole call path of a wrapped stainless method: guarded when a guard is set, else
 * started at once. `onPlain` sees the returned promise and its call on the plain path
 * (the Anthropic adapter covers `.asResponse()` there).
 */
export function stainlessCall(
  t: GenAiTelemetry,
  req: GenAiRequest,
  client: unknown,
  invoke: (call: CallTracker) => ApiPromiseLike,
  transform: (call: CallTracker) => (result: unknown) => unknown,
  readPlain: (body: unknown) => GenAiResult,
  streamed: boolean,
  count?: TokenCounter,
): unknown {
  const guarded = guardedCall(t, req, client, invoke, transform, count);
  if (guarded) return guarded;
  const call = t.start(req);
  const promise = invoke(call);
  if (typeof promise?._thenUnwrap !== 'function') {
    call.end(undefined);
    return promise;
  }
  const out = chainParse(promise, transform(call)) ? promise : promise._thenUnwrap(transform(call));
  coverRawResponse(out, call, streamed, readPlain);
  return out;
}

/**
 * Runs `transform` on what the SDK's own promise parses, by chaining it onto that
 * promise's `parseResponse` (which the SDK calls lazily, when the caller first awaits).
 * The caller gets the very object the SDK returned, and no second APIPromise (a Promise
 * subclass, closures and a request-id property per call) is made. Promises derived with
 * `_thenUnwrap` (the SDK's own helpers: `parse()`, the stream helpers) must see the
 * transformed result too: the prototype method reads `this.parseResponse`, so it does;
 * openai 7 gives each promise its own `_thenUnwrap` over its original parser, which is
 * wrapped here to transform first. False when there is no parser to chain or it has
 * already run; the caller then falls back to `_thenUnwrap`.
 */
function chainParse(promise: ApiPromiseLike, transform: (result: unknown) => unknown): boolean {
  const parse = promise.parseResponse;
  if (typeof parse !== 'function' || promise.parsedPromise !== undefined) return false;
  promise.parseResponse = (client, props) =>
    Promise.resolve(parse.call(promise, client, props)).then(transform);
  if (Object.hasOwn(promise, '_thenUnwrap')) {
    const thenUnwrap = promise._thenUnwrap;
    promise._thenUnwrap = (fn) => thenUnwrap.call(promise, (result, props) => fn(transform(result), props));
  }
  return true;
}

/**
 * `.asResponse()` hands the caller the raw HTTP response and the SDK never parses the
 * body, where the usage lives, so the call would never end. When nothing parsed the
 * body first, a plain JSON body is read from a clone. A raw event stream is not read
 * behind the caller's back: a copy would keep the connection open after the caller
 * stops reading, and the model would keep generating billed output; it is recorded
 * with its usage missing.
 */
function coverRawResponse(
  promise: ApiPromiseLike,
  call: CallTracker,
  streamed: boolean,
  read: (body: unknown) => GenAiResult,
): void {
  const p = promise as ApiPromiseLike & { asResponse?: () => Promise<unknown>; parsedPromise?: unknown };
  const asResponse = p.asResponse;
  if (typeof asResponse !== 'function') return;
  p.asResponse = function (this: typeof p) {
    const raw = asResponse.call(this);
    if (this.parsedPromise !== undefined) return raw; // the parse path records the call
    return raw.then((response) => {
      if (streamed || !(response instanceof Response)) call.end(undefined);
      else
        response
          .clone()
          .json()
          .then(
            (body: unknown) => call.end(read(body)),
            (error: unknown) => call.end(undefined, error),
          );
      return response;
    });
  };
}
