import { BUDGET_EXCEEDED, BudgetExceededError } from './guard.ts';

/**
 * A guard denial as the SDK's own kind of error. The stainless SDKs' stream helpers
 * (Anthropic's MessageStream, OpenAI's ChatCompletionStream) pass their own errors through
 * but wrap any other error in a new AnthropicError / OpenAIError whose `cause` is the
 * original, so a BudgetExceededError thrown inside `messages.stream()` reached the caller
 * wrapped. Thrown as a subclass of the SDK's root error instead, it passes through as it
 * is: `instanceof BudgetExceededError` (by brand) and `instanceof Anthropic.AnthropicError`
 * are both true, with the same fields.
 */

type ErrorClass = new (message: string) => Error;

const subclasses = new WeakMap<ErrorClass, new (e: BudgetExceededError) => BudgetExceededError>();

/** The SDK's root error class: the parent of its APIError (AnthropicError, OpenAIError). */
function sdkRootError(client: unknown): ErrorClass | undefined {
  const ctor = (client as { constructor?: { APIError?: unknown } } | null)?.constructor;
  const apiError = ctor?.APIError;
  if (typeof apiError !== 'function') return undefined;
  const root: unknown = Object.getPrototypeOf(apiError);
  return typeof root === 'function' && root.prototype instanceof Error ? (root as ErrorClass) : undefined;
}

function subclassOf(Base: ErrorClass): new (e: BudgetExceededError) => BudgetExceededError {
  let Sub = subclasses.get(Base);
  if (Sub === undefined) {
    class SdkBudgetExceededError extends Base {
      constructor(e: BudgetExceededError) {
        super(e.message);
        this.name = 'BudgetExceededError';
        const self = this as unknown as Record<string | symbol, unknown>;
        self[BUDGET_EXCEEDED] = true;
        for (const k of ['budget', 'policy', 'limit', 'used', 'reserved', 'requested', 'decision'] as const)
          self[k] = e[k];
      }
    }
    Sub = SdkBudgetExceededError as unknown as new (e: BudgetExceededError) => BudgetExceededError;
    subclasses.set(Base, Sub);
  }
  return Sub;
}

/** `error` as the client's SDK error kind when it is a denial and the client has one; else as it is. */
export function sdkFlavoured(error: unknown, client: unknown): unknown {
  if (!(error instanceof BudgetExceededError)) return error;
  const Base = sdkRootError(client);
  if (Base === undefined || error instanceof Base) return error;
  return new (subclassOf(Base))(error);
}
