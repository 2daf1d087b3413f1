import type { TokenUsage } from '../../usage/token-usage.ts';
import {
  fromOpenAIChatUsage,
  fromOpenAIEmbeddingsUsage,
  fromOpenAIResponsesUsage,
} from '../../usage/from-openai.ts';
import type { GenAiResult } from '../call.ts';

/**
 * Reading results of the openai SDK: plain responses, chat stream chunks and
 * responses stream events. Nothing here estimates: absent usage stays absent.
 */
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;

/** A provider's bad usage must not break the caller's request: it is reported as missing. */
function safely(convert: (raw: unknown) => TokenUsage, raw: unknown): TokenUsage | undefined {
  if (!isObj(raw)) return undefined;
  try {
    return convert(raw);
  } catch (error) {
    console.warn(`bursar: ignoring malformed usage from the provider: ${(error as Error).message}`);
    return undefined;
  }
}

/** OpenRouter (and some gateways) report the charged cost as `usage.cost` in USD. */
function providerCost(usage: unknown): number | undefined {
  if (!isObj(usage)) return undefined;
  const cost = usage.cost;
  return typeof cost === 'number' && Number.isFinite(cost) && cost >= 0 ? Math.round(cost * 1e9) : undefined;
}

function withCost(result: GenAiResult, usage: unknown): GenAiResult {
  const cost = providerCost(usage);
  if (cost !== undefined) result.providerCostNanoUsd = cost;
  return result;
}

export function chatCompletionResult(c: unknown): GenAiResult {
  if (!isObj(c)) return {};
  const result: GenAiResult = { usage: safely(fromOpenAIChatUsage, c.usage) };
  if (typeof c.id === 'string') result.responseId = c.id;
  if (typeof c.model === 'string') result.responseModel = c.model;
  if (Array.isArray(c.choices)) {
    result.finishReasons = c.choices
      .map((ch) => (isObj(ch) ? ch.finish_reason : undefined))
      .filter((r): r is string => typeof r === 'string');
  }
  return withCost(result, c.usage);
}

/** Accumulates a chat completion stream: ids, finish reasons and the usage-only chunk. */
export class ChatStreamState {
  readonly result: GenAiResult = {};
  #rawUsage: unknown;

  /** Returns true when the chunk is the usage-only chunk (no choices). */
  add(chunk: unknown): boolean {
    if (!isObj(chunk)) return false;
    if (this.result.responseId === undefined && typeof chunk.id === 'string')
      this.result.responseId = chunk.id;
    if (typeof chunk.model === 'string') this.result.responseModel = chunk.model;
    if (Array.isArray(chunk.choices)) {
      for (const ch of chunk.choices) {
        if (isObj(ch) && typeof ch.finish_reason === 'string')
          (this.result.finishReasons ??= []).push(ch.finish_reason);
      }
    }
    if (isObj(chunk.usage)) {
      this.#rawUsage = chunk.usage;
      this.result.usage = safely(fromOpenAIChatUsage, chunk.usage);
      withCost(this.result, chunk.usage);
      return Array.isArray(chunk.choices) && chunk.choices.length === 0;
    }
    return false;
  }

  get sawUsage(): boolean {
    return this.#rawUsage !== undefined;
  }
}

export function responseResult(r: unknown): GenAiResult {
  if (!isObj(r)) return {};
  const result: GenAiResult = { usage: safely(fromOpenAIResponsesUsage, r.usage) };
  if (typeof r.id === 'string') result.responseId = r.id;
  if (typeof r.model === 'string') result.responseModel = r.model;
  const incomplete = isObj(r.incomplete_details) ? r.incomplete_details.reason : undefined;
  if (typeof incomplete === 'string') result.finishReasons = [incomplete];
  else if (typeof r.status === 'string') result.finishReasons = [r.status];
  return withCost(result, r.usage);
}

/** Accumulates a responses API event stream; usage arrives with the terminal event. */
export class ResponseStreamState {
  result: GenAiResult = {};

  add(event: unknown): void {
    if (!isObj(event) || !isObj(event.response)) return;
    const type = event.type;
    if (type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed') {
      this.result = responseResult(event.response);
    } else {
      const r = event.response;
      if (typeof r.id === 'string') this.result.responseId = r.id;
      if (typeof r.model === 'string') this.result.responseModel = r.model;
    }
  }
}

export function embeddingsResult(e: unknown): GenAiResult {
  if (!isObj(e)) return {};
  const result: GenAiResult = { usage: safely(fromOpenAIEmbeddingsUsage, e.usage) };
  if (typeof e.model === 'string') result.responseModel = e.model;
  return withCost(result, e.usage);
}
