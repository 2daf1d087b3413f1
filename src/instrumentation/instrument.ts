import { getTelemetry } from './default-telemetry.ts';
import { instrumentAnthropicClient } from './providers/anthropic.ts';
import { instrumentGeminiClient } from './providers/gemini.ts';
import { instrumentOpenAIClient } from './providers/openai.ts';
import type { GenAiTelemetry } from './telemetry.ts';

export interface InstrumentOptions {
  telemetry?: GenAiTelemetry;
  /** gen_ai.provider.name to report (OpenAI-compatible clients pointed at another provider). */
  provider?: string;
}

type Obj = Record<string, unknown>;
const fn = (v: unknown) => typeof v === 'function';

/**
 * Instruments one client of the openai, @anthropic-ai/sdk or @google/genai SDK, for
 * bundled or edge code where no loader hook can patch the modules. Returns the same
 * client. Instrumenting a client twice, or one the auto-instrumentation already
 * covers, still records each call once.
 */
export function instrument<C extends object>(client: C, options: InstrumentOptions = {}): C {
  const t = options.telemetry ?? getTelemetry();
  const c = client as Obj;
  const opts = options.provider ? { provider: options.provider } : {};
  if (fn(((c.chat as Obj | undefined)?.completions as Obj | undefined)?.create))
    return instrumentOpenAIClient(client, t, opts);
  if (fn((c.messages as Obj | undefined)?.create) && fn((c.messages as Obj | undefined)?.countTokens)) {
    return instrumentAnthropicClient(client, t, opts);
  }
  if (fn((c.models as Obj | undefined)?.generateContent)) return instrumentGeminiClient(client, t, opts);
  throw new TypeError('bursar.instrument(): expected an openai, @anthropic-ai/sdk or @google/genai client');
}
