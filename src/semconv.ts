// Every GenAI semantic-convention string bursar reads or writes, defined once.
// Copied from the OpenTelemetry GenAI semantic conventions v1.41 (and the older
// generations the OTLP receiver still accepts) instead of importing
// `@opentelemetry/semantic-conventions/incubating` at runtime: that entry point is
// large, and its experimental names move between minor releases.

// ---- Attributes: operation and provider --------------------------------------
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
/** v1.36 and earlier: replaced by gen_ai.provider.name. Accepted on input only. */
export const ATTR_GEN_AI_SYSTEM = 'gen_ai.system';

// ---- Attributes: request ------------------------------------------------------
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens';
export const ATTR_GEN_AI_REQUEST_TEMPERATURE = 'gen_ai.request.temperature';
export const ATTR_GEN_AI_REQUEST_TOP_P = 'gen_ai.request.top_p';
export const ATTR_GEN_AI_REQUEST_TOP_K = 'gen_ai.request.top_k';
export const ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY = 'gen_ai.request.frequency_penalty';
export const ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY = 'gen_ai.request.presence_penalty';
export const ATTR_GEN_AI_REQUEST_STOP_SEQUENCES = 'gen_ai.request.stop_sequences';
export const ATTR_GEN_AI_REQUEST_SEED = 'gen_ai.request.seed';
export const ATTR_GEN_AI_REQUEST_CHOICE_COUNT = 'gen_ai.request.choice.count';
export const ATTR_GEN_AI_REQUEST_STREAM = 'gen_ai.request.stream';
export const ATTR_GEN_AI_REQUEST_ENCODING_FORMATS = 'gen_ai.request.encoding_formats';

// ---- Attributes: response -----------------------------------------------------
export const ATTR_GEN_AI_RESPONSE_ID = 'gen_ai.response.id';
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons';
export const ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = 'gen_ai.response.time_to_first_chunk';
export const ATTR_GEN_AI_OUTPUT_TYPE = 'gen_ai.output.type';

// ---- Attributes: usage (v1.41) --------------------------------------------------
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = 'gen_ai.usage.cache_creation.input_tokens';
export const ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = 'gen_ai.usage.reasoning.output_tokens';

// ---- Attributes: usage, older generations and vendor extras (input only) -------
/** v1.26 and earlier. */
export const ATTR_GEN_AI_USAGE_PROMPT_TOKENS = 'gen_ai.usage.prompt_tokens';
/** v1.26 and earlier. */
export const ATTR_GEN_AI_USAGE_COMPLETION_TOKENS = 'gen_ai.usage.completion_tokens';
/** Development-era names, before the cache_read./cache_creation. form. */
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS_OLD = 'gen_ai.usage.cache_read_input_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS_OLD = 'gen_ai.usage.cache_creation_input_tokens';
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS_CACHED = 'gen_ai.usage.input_tokens.cached';
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS_CACHE_WRITE = 'gen_ai.usage.input_tokens.cache_write';
export const ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS = 'gen_ai.usage.cache_write.input_tokens';
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS_REASONING = 'gen_ai.usage.output_tokens.reasoning';
/** @anthropic-ai/sdk's own spans: the part of the cache writes made with the 1-hour TTL. */
export const ATTR_ANTHROPIC_USAGE_CACHE_WRITE_1H = 'anthropic.usage.cache_creation.ephemeral_1h_input_tokens';
/** OpenLIT: cost in USD as a float attribute. */
export const ATTR_OPENLIT_USAGE_COST = 'gen_ai.usage.cost';
/** Traceloop OpenLLMetry. */
export const ATTR_TRACELOOP_USAGE_TOTAL_TOKENS = 'llm.usage.total_tokens';
/** Traceloop OpenLLMetry: 'chat' | 'completion' | 'embedding' (its spans carry no gen_ai.operation.name). */
export const ATTR_TRACELOOP_REQUEST_TYPE = 'llm.request.type';
export const TRACELOOP_REQUEST_TYPE_OPERATION: Readonly<Record<string, string>> = {
  chat: 'chat',
  completion: 'text_completion',
  embedding: 'embeddings',
};

// ---- Attributes: agents, conversations, tools ----------------------------------
export const ATTR_GEN_AI_AGENT_NAME = 'gen_ai.agent.name';
export const ATTR_GEN_AI_AGENT_ID = 'gen_ai.agent.id';
export const ATTR_GEN_AI_CONVERSATION_ID = 'gen_ai.conversation.id';
export const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
export const ATTR_GEN_AI_TOOL_CALL_ID = 'gen_ai.tool.call.id';
export const ATTR_GEN_AI_TOOL_TYPE = 'gen_ai.tool.type';
export const ATTR_GEN_AI_TOKEN_TYPE = 'gen_ai.token.type';

// ---- Attributes: content (opt-in) ----------------------------------------------
export const ATTR_GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages';
export const ATTR_GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages';
export const ATTR_GEN_AI_SYSTEM_INSTRUCTIONS = 'gen_ai.system_instructions';

// ---- Attributes: general -------------------------------------------------------
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_SERVICE_NAME = 'service.name';
export const ATTR_SERVICE_INSTANCE_ID = 'service.instance.id';

// ---- bursar's own attributes (scope labels carried on spans) -------------------
export const ATTR_BURSAR_SCOPE_PREFIX = 'bursar.scope.';
export const ATTR_BURSAR_COST_USD = 'bursar.cost.usd';
export const ATTR_BURSAR_USAGE_SOURCE = 'bursar.usage.source';

// ---- Values ----------------------------------------------------------------------
export const GEN_AI_OPERATION = {
  CHAT: 'chat',
  TEXT_COMPLETION: 'text_completion',
  GENERATE_CONTENT: 'generate_content',
  EMBEDDINGS: 'embeddings',
  EXECUTE_TOOL: 'execute_tool',
  CREATE_AGENT: 'create_agent',
  INVOKE_AGENT: 'invoke_agent',
} as const;
export type GenAiOperation = (typeof GEN_AI_OPERATION)[keyof typeof GEN_AI_OPERATION];

export const GEN_AI_PROVIDER = {
  OPENAI: 'openai',
  ANTHROPIC: 'anthropic',
  GCP_GEMINI: 'gcp.gemini',
  GCP_VERTEX_AI: 'gcp.vertex_ai',
  GCP_GEN_AI: 'gcp.gen_ai',
  AZURE_AI_OPENAI: 'azure.ai.openai',
  AZURE_AI_INFERENCE: 'azure.ai.inference',
  AWS_BEDROCK: 'aws.bedrock',
  DEEPSEEK: 'deepseek',
  GROQ: 'groq',
  MISTRAL_AI: 'mistral_ai',
  X_AI: 'x_ai',
  PERPLEXITY: 'perplexity',
  COHERE: 'cohere',
  IBM_WATSONX_AI: 'ibm.watsonx.ai',
  OPENROUTER: 'openrouter',
  OLLAMA: 'ollama',
  VLLM: 'vllm',
} as const;

/** Values of gen_ai.token.type on gen_ai.client.token.usage. */
export const GEN_AI_TOKEN_TYPE = { INPUT: 'input', OUTPUT: 'output' } as const;
/** gen_ai.token.type values of generations before v1.27, accepted on input only. */
export const GEN_AI_TOKEN_TYPE_LEGACY: Readonly<Record<string, 'input' | 'output'>> = {
  prompt: 'input',
  completion: 'output',
};

/** gen_ai.system values of earlier generations that were renamed (input only) → gen_ai.provider.name. */
export const GEN_AI_SYSTEM_RENAMED: Readonly<Record<string, string>> = {
  'az.ai.inference': 'azure.ai.inference',
  'az.ai.openai': 'azure.ai.openai',
  vertex_ai: 'gcp.vertex_ai',
  gemini: 'gcp.gemini',
  xai: 'x_ai',
};

/** Instrumentation scope of @anthropic-ai/sdk's own spans (v1.12+; `.<platform>` for Bedrock/Vertex clients). */
export const SCOPE_ANTHROPIC_SDK = 'com.anthropic.sdk.typescript';
/** Instrumentation scope of bursar's own spans and metrics. */
export const SCOPE_BURSAR = 'bursar';

// ---- Metrics ---------------------------------------------------------------------
export const METRIC_GEN_AI_CLIENT_TOKEN_USAGE = 'gen_ai.client.token.usage';
export const METRIC_GEN_AI_CLIENT_OPERATION_DURATION = 'gen_ai.client.operation.duration';
export const METRIC_GEN_AI_CLIENT_TIME_TO_FIRST_CHUNK = 'gen_ai.client.operation.time_to_first_chunk';
export const METRIC_GEN_AI_CLIENT_TIME_PER_OUTPUT_CHUNK = 'gen_ai.client.operation.time_per_output_chunk';
/** Development counters, emitted only with OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental. */
export const METRIC_GEN_AI_CLIENT_INFERENCE_USAGE = {
  input: 'gen_ai.client.inference.usage.input_tokens',
  output: 'gen_ai.client.inference.usage.output_tokens',
  cacheRead: 'gen_ai.client.inference.usage.cache_read_tokens',
  cacheWrite: 'gen_ai.client.inference.usage.cache_write_tokens',
  reasoning: 'gen_ai.client.inference.usage.reasoning_tokens',
} as const;
/** bursar's own cost counter, priced from the shared catalog. */
export const METRIC_BURSAR_CLIENT_COST = 'bursar.client.cost';
/** Calls whose response carried no usage (never estimated: counted here instead). */
export const METRIC_BURSAR_CLIENT_USAGE_MISSING = 'bursar.client.usage.missing';
/** Provider SDK versions the instrumentation could not patch. */
export const METRIC_BURSAR_INSTRUMENTATION_SKIPPED = 'bursar.instrumentation.skipped';

/** Bucket boundaries the GenAI metrics spec gives for gen_ai.client.token.usage. */
export const TOKEN_USAGE_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
] as const;
/** Bucket boundaries (seconds) the spec gives for gen_ai.client.operation.duration. */
export const OPERATION_DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
] as const;

// ---- Environment variables -------------------------------------------------------
export const ENV_SEMCONV_STABILITY_OPT_IN = 'OTEL_SEMCONV_STABILITY_OPT_IN';
export const SEMCONV_OPT_IN_GEN_AI_LATEST = 'gen_ai_latest_experimental';
export const ENV_CAPTURE_MESSAGE_CONTENT = 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT';
