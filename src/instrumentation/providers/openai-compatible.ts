import { GEN_AI_PROVIDER } from '../../semconv.ts';

/**
 * Which provider an OpenAI-SDK client actually calls, from its base URL: the openai
 * SDK is the client for many OpenAI-compatible APIs, and spend must be attributed to
 * the one that bills it.
 */
const BY_HOST: [RegExp, string][] = [
  [/(^|\.)openai\.azure\.com$|(^|\.)cognitiveservices\.azure\.com$/, GEN_AI_PROVIDER.AZURE_AI_OPENAI],
  [/(^|\.)services\.ai\.azure\.com$/, GEN_AI_PROVIDER.AZURE_AI_INFERENCE],
  [/(^|\.)deepseek\.com$/, GEN_AI_PROVIDER.DEEPSEEK],
  [/(^|\.)groq\.com$/, GEN_AI_PROVIDER.GROQ],
  [/(^|\.)mistral\.ai$/, GEN_AI_PROVIDER.MISTRAL_AI],
  [/(^|\.)x\.ai$/, GEN_AI_PROVIDER.X_AI],
  [/(^|\.)perplexity\.ai$/, GEN_AI_PROVIDER.PERPLEXITY],
  [/(^|\.)openrouter\.ai$/, GEN_AI_PROVIDER.OPENROUTER],
  [/(^|\.)generativelanguage\.googleapis\.com$/, GEN_AI_PROVIDER.GCP_GEMINI],
  [/(^|\.)cohere\.(ai|com)$/, GEN_AI_PROVIDER.COHERE],
];

export interface ServerInfo {
  provider: string;
  address?: string;
  port?: number;
}

const cache = new Map<string, ServerInfo>();

export function openAICompatibleServer(baseURL: string | undefined): ServerInfo {
  const key = baseURL ?? '';
  const hit = cache.get(key);
  if (hit) return hit;
  let info: ServerInfo = { provider: GEN_AI_PROVIDER.OPENAI };
  try {
    const url = new URL(baseURL ?? 'https://api.openai.com/v1');
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    const host = url.hostname;
    let provider: string = GEN_AI_PROVIDER.OPENAI;
    for (const [re, name] of BY_HOST) if (re.test(host)) provider = name;
    // Local servers: Ollama listens on 11434 by default; vLLM serves /v1 on 8000.
    if (provider === GEN_AI_PROVIDER.OPENAI && port === 11434) provider = GEN_AI_PROVIDER.OLLAMA;
    if (provider === GEN_AI_PROVIDER.OPENAI && port === 8000 && isLocal(host))
      provider = GEN_AI_PROVIDER.VLLM;
    info = { provider, address: host, port };
  } catch {
    // An unparseable base URL still gets counted, as plain OpenAI.
  }
  if (cache.size > 100) cache.clear();
  cache.set(key, info);
  return info;
}

function isLocal(host: string): boolean {
  return host === 'localhost' || host === '127.0.0.1' || host === '::1' || host === '[::1]';
}
