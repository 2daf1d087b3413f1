import { z } from 'zod';

/** The scope labels every usage record and budget selector may carry. */
export const STANDARD_SCOPE_LABELS = ['tenant', 'project', 'agent', 'component', 'session', 'user'] as const;
export type StandardScopeLabel = (typeof STANDARD_SCOPE_LABELS)[number];

/**
 * Labels a budget selector can match besides scope labels: they come from the
 * usage itself rather than from the caller's scope.
 */
export const USAGE_LABELS = ['provider', 'model', 'operation', 'tool'] as const;

export type Scope = Readonly<Record<string, string>>;

export const MAX_LABEL_VALUE_LENGTH = 256;
/**
 * Lower-case letters, digits and _, not starting with a digit. `__proto__`,
 * `constructor` and `prototype` are refused: as keys of plain objects they reach the
 * prototype chain, and validators disagree on what such an object even contains.
 */
export const LABEL_NAME_PATTERN = /^(?!(?:__proto__|constructor|prototype)$)[a-z_][a-z0-9_]{0,62}$/;

export const labelName = z
  .string()
  .regex(
    LABEL_NAME_PATTERN,
    'label names are lower-case letters, digits and _ (at most 63), not starting with a digit, and not __proto__, constructor or prototype',
  );
export const labelValue = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_LABEL_VALUE_LENGTH, `must be at most ${MAX_LABEL_VALUE_LENGTH} characters`);

export const scopeSchema = z.record(labelName, labelValue);

/**
 * Keeps the standard labels and the allow-listed custom ones; anything else is
 * dropped so a caller cannot blow up counter or series cardinality with new names.
 */
export function filterScope(scope: Scope, customLabels: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in scope) {
    if (STANDARD.has(k) || customLabels.has(k)) out[k] = scope[k]!;
  }
  return out;
}

const STANDARD: ReadonlySet<string> = new Set(STANDARD_SCOPE_LABELS);
