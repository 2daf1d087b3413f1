// Entry point for tests and benchmarks that need a local GenAI provider the real SDKs can talk to.
export {
  DEFAULT_SETTINGS,
  startMockProvider,
  type MockProvider,
  type MockProviderOptions,
} from './mock-provider.ts';
export { CHUNKS_HEADER, SCENARIO_HEADER, SCENARIOS, isScenario, type Scenario } from './scenarios.ts';
export type { MockSettings, RecordedRequest, RequestOutcome } from './types.ts';
export {
  ANTHROPIC_INTERIM_OUTPUT_TOKENS,
  ANTHROPIC_START_OUTPUT_TOKENS,
  DEFAULT_ANTHROPIC_COUNT_TOKENS,
  DEFAULT_ANTHROPIC_USAGE,
  DEFAULT_GEMINI_COUNT_TOKENS,
  DEFAULT_GEMINI_EMBED_USAGE,
  DEFAULT_GEMINI_USAGE,
  DEFAULT_OPENAI_CHAT_USAGE,
  DEFAULT_OPENAI_EMBEDDINGS_USAGE,
  DEFAULT_OPENAI_RESPONSES_USAGE,
  DEFAULT_USAGE,
  type MockUsage,
} from './usage.ts';
export { geminiUsageAt } from './gemini.ts';
export { mockText, mockTextChunks } from './text.ts';
export {
  anthropicClient,
  drain,
  geminiClient,
  geminiScenario,
  mockHeaders,
  openaiClient,
  settled,
  vertexClient,
  withScenario,
} from './sdk-clients.ts';
