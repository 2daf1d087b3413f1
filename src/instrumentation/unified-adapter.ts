import { GEN_AI_PROVIDER } from '../semconv.ts';
import { fromAnthropicUsage } from '../usage/from-anthropic.ts';
import { fromGeminiUsage } from '../usage/from-gemini.ts';
import { fromOpenAIChatUsage } from '../usage/from-openai.ts';
import type { TokenUsage } from '../usage/token-usage.ts';
import { MissingUsageError } from './call.ts';
import { getTelemetry } from './default-telemetry.ts';
import { instrument } from './instrument.ts';
import type { GenAiTelemetry } from './telemetry.ts';

/**
 * One `generate(prompt)` over OpenAI, Anthropic or Gemini, picked from the API-key
 * environment variables (or as told), returning text and a standardized usage. The
 * client underneath is instrumented, so the call is also traced, metered and
 * budgeted. A response without usage metadata is an error, never a guess.
 */
export type AdapterProvider = 'openai' | 'anthropic' | 'gemini';

export interface StandardUsage {
  provider: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  /** null when the model has no price in the catalog. */
  costUsd: number | null;
  costNanoUsd: number | null;
}

export interface GenerateOptions {
  model?: string;
  maxTokens?: number;
  temperature?: number;
  system?: string;
}

export interface Adapter {
  readonly provider: AdapterProvider;
  generate(prompt: string, options?: GenerateOptions): Promise<{ text: string; usage: StandardUsage }>;
}

export interface AdapterOptions {
  provider?: AdapterProvider;
  apiKey?: string;
  baseURL?: string;
  telemetry?: GenAiTelemetry;
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_MODEL: Record<AdapterProvider, string> = {
  openai: 'gpt-4o-mini',
  anthropic: 'claude-haiku-4-5',
  gemini: 'gemini-2.5-flash',
};

const KEY_VARS: Record<AdapterProvider, string[]> = {
  openai: ['OPENAI_API_KEY'],
  anthropic: ['ANTHROPIC_API_KEY'],
  gemini: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
};

function pickProvider(opts: AdapterOptions, env: NodeJS.ProcessEnv): AdapterProvider {
  if (opts.provider) return opts.provider;
  for (const p of ['openai', 'anthropic', 'gemini'] as const) if (KEY_VARS[p].some((v) => env[v])) return p;
  throw new Error(
    'bursar.getAdapter(): no provider given and none of OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY, GOOGLE_API_KEY is set',
  );
}

export async function getAdapter(opts: AdapterOptions = {}): Promise<Adapter> {
  const env = opts.env ?? process.env;
  const provider = pickProvider(opts, env);
  const t = opts.telemetry ?? getTelemetry();
  const apiKey = opts.apiKey ?? KEY_VARS[provider].map((v) => env[v]).find(Boolean);
  const standard = (semconvProvider: string, model: string, u: TokenUsage | undefined): StandardUsage => {
    if (!u) throw new MissingUsageError(semconvProvider, 'chat', model);
    const cost = t.pricer.price({
      id: 'adapter',
      time: Date.now(),
      provider: semconvProvider,
      operation: 'chat',
      requestModel: model,
      usage: u,
      scope: {},
      durationMs: 0,
      usageSource: 'provider',
    });
    return {
      provider: semconvProvider,
      model,
      promptTokens: u.input,
      completionTokens: u.output,
      totalTokens: u.input + u.output,
      cacheReadTokens: u.cacheRead,
      cacheWriteTokens: u.cacheWrite,
      reasoningTokens: u.reasoning,
      costUsd: cost.unpriced ? null : cost.nanoUsd / 1e9,
      costNanoUsd: cost.unpriced ? null : cost.nanoUsd,
    };
  };

  if (provider === 'openai') {
    const { default: OpenAI } = await import('openai');
    const client = instrument(new OpenAI({ apiKey, ...(opts.baseURL ? { baseURL: opts.baseURL } : {}) }), {
      telemetry: t,
    });
    return {
      provider,
      async generate(prompt, o = {}) {
        const model = o.model ?? DEFAULT_MODEL.openai;
        const messages = [
          ...(o.system ? [{ role: 'system' as const, content: o.system }] : []),
          { role: 'user' as const, content: prompt },
        ];
        const r = await client.chat.completions.create({
          model,
          messages,
          max_tokens: o.maxTokens,
          temperature: o.temperature,
        });
        const usage = r.usage ? fromOpenAIChatUsage(r.usage) : undefined;
        return {
          text: r.choices[0]?.message?.content ?? '',
          usage: standard(GEN_AI_PROVIDER.OPENAI, r.model ?? model, usage),
        };
      },
    };
  }
  if (provider === 'anthropic') {
    const { default: Anthropic } = await import('@anthropic-ai/sdk');
    const client = instrument(new Anthropic({ apiKey, ...(opts.baseURL ? { baseURL: opts.baseURL } : {}) }), {
      telemetry: t,
    });
    return {
      provider,
      async generate(prompt, o = {}) {
        const model = o.model ?? DEFAULT_MODEL.anthropic;
        const r = await client.messages.create({
          model,
          max_tokens: o.maxTokens ?? 1024,
          messages: [{ role: 'user', content: prompt }],
          ...(o.system ? { system: o.system } : {}),
          ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
        });
        const text = r.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
        const usage = r.usage ? fromAnthropicUsage(r.usage) : undefined;
        return { text, usage: standard(GEN_AI_PROVIDER.ANTHROPIC, r.model ?? model, usage) };
      },
    };
  }
  const { GoogleGenAI } = await import('@google/genai');
  const client = instrument(
    new GoogleGenAI({ apiKey, ...(opts.baseURL ? { httpOptions: { baseUrl: opts.baseURL } } : {}) }),
    { telemetry: t },
  );
  return {
    provider,
    async generate(prompt, o = {}) {
      const model = o.model ?? DEFAULT_MODEL.gemini;
      const r = await client.models.generateContent({
        model,
        contents: prompt,
        config: {
          ...(o.maxTokens !== undefined ? { maxOutputTokens: o.maxTokens } : {}),
          ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
          ...(o.system ? { systemInstruction: o.system } : {}),
        },
      });
      const usage = r.usageMetadata ? fromGeminiUsage(r.usageMetadata) : undefined;
      return {
        text: r.text ?? '',
        usage: standard(GEN_AI_PROVIDER.GCP_GEMINI, r.modelVersion ?? model, usage),
      };
    },
  };
}
