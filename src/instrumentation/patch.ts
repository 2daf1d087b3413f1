import { context, createContextKey } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';

/**
 * Method patching and the "already counted" marker. A provider call can pass through
 * two bursar wrappers (auto-patched prototype + instrument(client) on the instance)
 * or through another layer that marked the call; exactly one of them records it.
 */
const ORIGINAL = Symbol.for('bursar.original');
/** Set in the OTel context while a wrapped call runs; other layers may read it too. */
export const GENAI_CALL_KEY = createContextKey('bursar.genai.call');

type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

let depth = 0;

/** True inside a call that an outer wrapper (ours or another layer's) is already recording. */
export function insideRecordedCall(): boolean {
  if (depth > 0) return true;
  const ctx = context.active();
  return ctx.getValue(GENAI_CALL_KEY) !== undefined || isTracingSuppressed(ctx);
}

/**
 * Runs the original method with the marker set for its synchronous part only, so a
 * wrapper nested directly inside (ours or another copy's) passes through. For SDK
 * methods that never call another wrapped method from their asynchronous part (openai's
 * `create` methods: its helpers call `create` from outside, never from inside), this is
 * the whole of `runMarked` at none of the cost of entering an OTel context (about 0.5 µs).
 */
export function runNested<T>(fn: () => T): T {
  depth += 1;
  try {
    return fn();
  } finally {
    depth -= 1;
  }
}

/** Runs the original method with the marker set, so nested wrappers pass through. */
export function runMarked<T>(fn: () => T): T {
  depth += 1;
  try {
    return context.with(context.active().setValue(GENAI_CALL_KEY, true), fn);
  } finally {
    depth -= 1;
  }
}

/**
 * Replaces `target[name]` with `makeWrapper(original)`. Idempotent: a method already
 * wrapped by bursar keeps its single wrapper. Returns an undo function.
 */
export function wrapMethod(
  target: object,
  name: string,
  makeWrapper: (original: AnyFn) => AnyFn,
): () => void {
  const host = target as Record<string, AnyFn & { [ORIGINAL]?: AnyFn }>;
  const current = host[name];
  if (typeof current !== 'function') throw new Error(`no method ${name} to patch`);
  if (current[ORIGINAL]) return () => {};
  const wrapped = makeWrapper(current) as AnyFn & { [ORIGINAL]?: AnyFn };
  wrapped[ORIGINAL] = current;
  Object.defineProperty(target, name, {
    value: wrapped,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  return () => {
    if (host[name] === wrapped)
      Object.defineProperty(target, name, {
        value: current,
        writable: true,
        configurable: true,
        enumerable: false,
      });
  };
}

export function isWrapped(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as { [ORIGINAL]?: unknown })[ORIGINAL] !== undefined;
}
