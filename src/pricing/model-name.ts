/**
 * The names a model string may be listed under in the price catalog, most specific first.
 *
 * Callers and providers spell one model many ways: `GPT-4o`, `openai/gpt-4o` (gateways),
 * `models/gemini-2.5-flash` (what @google/genai sends), `anthropic/claude-sonnet-4.5`
 * (OpenRouter), `us.anthropic.claude-sonnet-4-5-20250929-v1:0` (Bedrock),
 * `claude-sonnet-4-5@20250929` (Vertex), and dated snapshots of an undated base. The catalog
 * tries each candidate in order and takes the first that is listed, so a listed snapshot
 * (priced differently from its base) always wins over the base it would fall back to.
 *
 * Only suffixes are ever removed, never words in the middle: `gpt-4o-audio-preview` becomes
 * `gpt-4o-audio`, not `gpt-4o`, because audio models are priced differently and an unpriced
 * record is better than a wrongly priced one.
 */

/** Suffixes that mark a snapshot or alias of a base model, tried in this order. */
const SNAPSHOT_SUFFIXES: readonly RegExp[] = [
  /-v\d+(?::\d+)?$/, // Bedrock model version: …-v1:0
  /-\d{4}-\d{2}-\d{2}$/, // OpenAI snapshot: gpt-4o-2024-08-06
  /-\d{8}$/, // Anthropic snapshot: claude-sonnet-4-5-20250929
  /-\d{2}-\d{4}$/, // Gemini preview month: gemini-2.5-flash-preview-09-2025
  /-\d{2}-\d{2}$/, // Gemini preview day: gemini-2.5-pro-preview-06-05
  /-\d{4}$/, // OpenAI legacy snapshot: gpt-4-0613
  /-\d{3}$/, // Gemini stable version: gemini-2.0-flash-001
  /-latest$/, // moving aliases: claude-3-5-haiku-latest
  /-preview$/, // what is left of a dated preview once its date is gone
];

/** Bedrock cross-region and vendor prefixes: `us.anthropic.`, `global.anthropic.`, `amazon.`. */
const BEDROCK_PREFIX =
  /^(?:(?:us|eu|apac|global|jp|au|ca|us-gov)\.)?(?:anthropic|amazon|meta|mistral|cohere|ai21|deepseek|openai|qwen|writer)\.(?=[a-z])/;

/** Claude Code's context-size marker: `claude-opus-4-6[1m]`. */
const BRACKET_SUFFIX = /\[[^\]]*\]$/;

export function modelCandidates(raw: string): string[] {
  const out: string[] = [];
  const add = (name: string): void => {
    if (name.length > 0 && !out.includes(name)) out.push(name);
  };
  let name = raw.trim().toLowerCase();
  add(name);
  name = name.replace(BRACKET_SUFFIX, '');
  add(name);
  // Gateways and SDKs put routing in front: keep the last path segment.
  const slash = name.lastIndexOf('/');
  if (slash >= 0) {
    name = name.slice(slash + 1);
    add(name);
  }
  name = name.replace(BEDROCK_PREFIX, '').replace('@', '-');
  add(name);

  const bases = [name];
  // OpenRouter writes Claude versions with dots (claude-sonnet-4.5); Anthropic uses dashes.
  if (name.startsWith('claude') && /\d\.\d/.test(name)) bases.push(name.replace(/(\d)\.(\d)/g, '$1-$2'));
  for (const base of bases) {
    add(base);
    let current = base;
    for (let changed = true; changed;) {
      changed = false;
      for (const suffix of SNAPSHOT_SUFFIXES) {
        const stripped = current.replace(suffix, '');
        if (stripped !== current && stripped.length > 0) {
          current = stripped;
          add(current);
          changed = true;
          break;
        }
      }
    }
  }
  return out;
}

/** The key a name or alias is indexed under: the same normalization as the first candidate. */
export function indexKey(name: string): string {
  return name.trim().toLowerCase();
}
