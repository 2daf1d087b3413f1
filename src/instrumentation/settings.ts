import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import {
  ENV_CAPTURE_MESSAGE_CONTENT,
  ENV_SEMCONV_STABILITY_OPT_IN,
  SEMCONV_OPT_IN_GEN_AI_LATEST,
} from '../semconv.ts';

export interface InstrumentationSettings {
  /** Record prompts and completions on spans. Off unless OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true. */
  captureContent: boolean;
  /** Also emit the development gen_ai.client.inference.usage.* counters. */
  latestExperimental: boolean;
  /** What to do when a response carries no usage: record it as `missing` (and count it), or throw. */
  onMissingUsage: 'record' | 'throw';
  /** Scope labels copied onto metric points (bounded: keep it to low-cardinality labels). */
  metricScopeLabels: readonly string[];
  /** Add `stream_options.include_usage` to OpenAI chat streams that did not ask for it. */
  injectStreamUsage: boolean;
  /** Hide the usage-only chunk from callers who did not ask for it. */
  hideInjectedUsageChunk: boolean;
  /**
   * gen_ai.client.operation.time_per_output_chunk: one point per stream, its mean time
   * between chunks ('per-stream', the default), or one point per chunk after the first
   * as the semconv describes it ('per-chunk'). A histogram point costs the OTel SDK about
   * 1 µs (it hashes the attribute set each time), more than the rest of a chunk's handling.
   */
  chunkTimings: 'per-stream' | 'per-chunk';
  tracerProvider?: TracerProvider;
  meterProvider?: MeterProvider;
}

/** Settings with defaults from the standard OTEL_* environment variables. */
export function settingsFrom(
  s: Partial<InstrumentationSettings>,
  env = process.env,
): InstrumentationSettings {
  const optIn = (env[ENV_SEMCONV_STABILITY_OPT_IN] ?? '').split(',').map((v) => v.trim());
  return {
    captureContent: s.captureContent ?? env[ENV_CAPTURE_MESSAGE_CONTENT]?.toLowerCase() === 'true',
    latestExperimental: s.latestExperimental ?? optIn.includes(SEMCONV_OPT_IN_GEN_AI_LATEST),
    onMissingUsage: s.onMissingUsage ?? 'record',
    metricScopeLabels: s.metricScopeLabels ?? [],
    injectStreamUsage: s.injectStreamUsage ?? true,
    hideInjectedUsageChunk: s.hideInjectedUsageChunk ?? true,
    chunkTimings: s.chunkTimings ?? 'per-stream',
    ...(s.tracerProvider ? { tracerProvider: s.tracerProvider } : {}),
    ...(s.meterProvider ? { meterProvider: s.meterProvider } : {}),
  };
}
