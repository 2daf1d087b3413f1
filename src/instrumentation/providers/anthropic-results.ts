import { fromAnthropicUsage, mergeAnthropicStreamUsage } from '../../usage/from-anthropic.ts';
import type { TokenUsage } from '../../usage/token-usage.ts';
import type { GenAiResult } from '../call.ts';

/**
 * Reading results of the @anthropic-ai/sdk Messages API: a plain `Message`, or the raw
 * stream events of `messages.create({ stream: true })` (which `messages.stream()` also
 * reads). Nothing here estimates: absent usage stays absent.
 */
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;

/** A provider's bad usage must not break the caller's request: it is reported as missing. */
function safely(raw: unknown): TokenUsage | undefined {
  if (!isObj(raw)) return undefined;
  try {
    return fromAnthropicUsage(raw);
  } catch (error) {
    console.warn(`bursar: ignoring malformed usage from Anthropic: ${(error as Error).message}`);
    return undefined;
  }
}

/** A non-streamed `Message`. */
export function messageResult(m: unknown): GenAiResult {
  if (!isObj(m)) return {};
  const result: GenAiResult = { usage: safely(m.usage) };
  if (typeof m.id === 'string') result.responseId = m.id;
  if (typeof m.model === 'string') result.responseModel = m.model;
  if (typeof m.stop_reason === 'string') result.finishReasons = [m.stop_reason];
  return result;
}

/**
 * Accumulates a Messages event stream. `message_start` carries the id, the model and the
 * input-side usage (input and cache counts, with a placeholder output count); each
 * `message_delta` carries CUMULATIVE counts, so only the latest one is kept, and it
 * overrides `message_start` field by field (`mergeAnthropicStreamUsage`). A stream cut
 * anywhere after `message_start` still yields the input and cache counts, which are
 * billed whether or not the output arrives.
 */
export class MessageStreamState {
  #id: string | undefined;
  #model: string | undefined;
  #stopReason: string | undefined;
  #startUsage: Obj | undefined;
  #lastDelta: Obj | undefined;

  add(event: unknown): void {
    if (!isObj(event)) return;
    if (event.type === 'message_start' && isObj(event.message)) {
      const m = event.message;
      if (typeof m.id === 'string') this.#id = m.id;
      if (typeof m.model === 'string') this.#model = m.model;
      if (isObj(m.usage)) this.#startUsage = m.usage;
    } else if (event.type === 'message_delta') {
      if (isObj(event.usage)) this.#lastDelta = event.usage;
      const reason = isObj(event.delta) ? event.delta.stop_reason : undefined;
      if (typeof reason === 'string') this.#stopReason = reason;
    }
  }

  /** What the events said so far; read once, when the stream ends. */
  get result(): GenAiResult {
    const result: GenAiResult = {};
    if (this.#startUsage || this.#lastDelta)
      result.usage = safely(mergeAnthropicStreamUsage(this.#startUsage, this.#lastDelta));
    if (this.#id !== undefined) result.responseId = this.#id;
    if (this.#model !== undefined) result.responseModel = this.#model;
    if (this.#stopReason !== undefined) result.finishReasons = [this.#stopReason];
    return result;
  }
}
