import type { GenAiOperation } from '../semconv.ts';
import type { TokenUsage } from '../usage/token-usage.ts';

/** What an adapter knows about a provider call before it is sent. */
export interface GenAiRequest {
  /** gen_ai.provider.name */
  provider: string;
  operation: GenAiOperation;
  /** gen_ai.request.model (for execute_tool: the tool name). */
  model: string;
  /** gen_ai.tool.name, for execute_tool operations. */
  toolName?: string;
  stream: boolean;
  serverAddress?: string;
  serverPort?: number;
  params?: {
    maxTokens?: number;
    temperature?: number;
    topP?: number;
    topK?: number;
    frequencyPenalty?: number;
    presencePenalty?: number;
    stopSequences?: string[];
    seed?: number;
    choiceCount?: number;
  };
  /** Only read when content capture is on. */
  input?: unknown;
}

/** What an adapter read from the response (or the stream so far). */
export interface GenAiResult {
  responseId?: string;
  responseModel?: string;
  finishReasons?: string[];
  /** The provider's own counts; undefined when the response carried none. */
  usage?: TokenUsage;
  /** Cost the provider reported itself (e.g. OpenRouter's usage.cost), nano-USD. */
  providerCostNanoUsd?: number;
  /** Only recorded when content capture is on. */
  output?: unknown;
}

/** Thrown by `onMissingUsage: 'throw'` when a response carried no usage. */
export class MissingUsageError extends Error {
  constructor(provider: string, operation: string, model: string) {
    super(`bursar: ${provider} ${operation} ${model} returned no usage; the call cannot be counted`);
    this.name = 'MissingUsageError';
  }
}
