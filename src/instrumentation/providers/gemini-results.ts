import { fromGeminiUsage } from '../../usage/from-gemini.ts';
import type { TokenUsage } from '../../usage/token-usage.ts';
import type { GenAiResult } from '../call.ts';

/**
 * Reading results of @google/genai: generateContent responses, generateContentStream
 * chunks and embedContent responses. Nothing here estimates: absent usage stays absent.
 */
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;

/** A provider's bad usage must not break the caller's request: it is reported as missing. */
function usageOf(raw: unknown): TokenUsage | undefined {
  if (!isObj(raw)) return undefined;
  try {
    return fromGeminiUsage(raw);
  } catch (error) {
    console.warn(`bursar: ignoring malformed Gemini usage: ${(error as Error).message}`);
    return undefined;
  }
}

/** Finish reasons by candidate index (a candidate without `index` is the only one: 0). */
function addFinishReasons(candidates: unknown, into: (string | undefined)[]): void {
  if (!Array.isArray(candidates)) return;
  candidates.forEach((c, position) => {
    if (!isObj(c) || typeof c.finishReason !== 'string') return;
    const index = typeof c.index === 'number' ? c.index : position;
    into[index] = c.finishReason;
  });
}

function present(reasons: (string | undefined)[]): string[] | undefined {
  const out = reasons.filter((r): r is string => typeof r === 'string');
  return out.length > 0 ? out : undefined;
}

export function generateContentResult(r: unknown): GenAiResult {
  if (!isObj(r)) return {};
  const result: GenAiResult = { usage: usageOf(r.usageMetadata) };
  if (typeof r.responseId === 'string') result.responseId = r.responseId;
  if (typeof r.modelVersion === 'string') result.responseModel = r.modelVersion;
  const reasons: (string | undefined)[] = [];
  addFinishReasons(r.candidates, reasons);
  const finish = present(reasons);
  if (finish) result.finishReasons = finish;
  return result;
}

/**
 * Follows one generateContentStream response. Every chunk may carry usageMetadata with
 * the running counts of the request so far, so the last one seen is the usage — summing
 * would over-count. It is kept raw and converted once, when the stream ends, so a long
 * stream pays no validation per chunk.
 */
export class GenerateStreamState {
  #usage: unknown;
  #responseId: string | undefined;
  #model: string | undefined;
  readonly #reasons: (string | undefined)[] = [];

  add(chunk: unknown): void {
    if (!isObj(chunk)) return;
    if (chunk.usageMetadata !== undefined && chunk.usageMetadata !== null) this.#usage = chunk.usageMetadata;
    if (this.#responseId === undefined && typeof chunk.responseId === 'string')
      this.#responseId = chunk.responseId;
    if (typeof chunk.modelVersion === 'string') this.#model = chunk.modelVersion;
    addFinishReasons(chunk.candidates, this.#reasons);
  }

  /** What the stream reported so far (whole or cut short). */
  result(): GenAiResult {
    const result: GenAiResult = { usage: usageOf(this.#usage) };
    if (this.#responseId !== undefined) result.responseId = this.#responseId;
    if (this.#model !== undefined) result.responseModel = this.#model;
    const finish = present(this.#reasons);
    if (finish) result.finishReasons = finish;
    return result;
  }
}

/**
 * embedContent. The Gemini API (`batchEmbedContents`) and Vertex `embedContent` report
 * `usageMetadata`; Vertex `predict` (text-embedding models) reports none, only a token
 * count per embedding in `embeddings[].statistics.tokenCount` — the provider's own counts,
 * so their sum is the input.
 */
export function embedContentResult(r: unknown): GenAiResult {
  if (!isObj(r)) return {};
  if (isObj(r.usageMetadata)) return { usage: usageOf(r.usageMetadata) };
  if (!Array.isArray(r.embeddings)) return {};
  let tokens = 0;
  let seen = false;
  for (const e of r.embeddings) {
    const count = isObj(e) && isObj(e.statistics) ? e.statistics.tokenCount : undefined;
    if (typeof count === 'number') {
      tokens += count;
      seen = true;
    }
  }
  return seen ? { usage: usageOf({ promptTokenCount: tokens }) } : {};
}
