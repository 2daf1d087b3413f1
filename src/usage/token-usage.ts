import { z } from 'zod';
import { ValidationError } from '../validation/errors.ts';

/**
 * The one normalized token count, following the GenAI semconv inclusion rules:
 * `cacheRead` and `cacheWrite` are part of `input`; `reasoning` is part of `output`.
 * `cacheWrite1h` is the part of `cacheWrite` written with Anthropic's 1-hour TTL
 * (priced higher than the default 5-minute writes).
 */
export interface TokenUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  cacheWrite1h: number;
  reasoning: number;
}

/** No single provider call reports more tokens than this; larger counts are corrupt input. */
export const MAX_TOKENS_PER_CALL = 1_000_000_000;

export const tokenCount = z
  .number({ error: 'must be a number' })
  .int('must be a whole number of tokens')
  .nonnegative('must not be negative')
  .max(MAX_TOKENS_PER_CALL, `must be at most ${MAX_TOKENS_PER_CALL} tokens`);

/** The counts as sent, each optional; `completeUsage` fills zeros and checks inclusion. */
export const tokenUsageFieldsSchema = z
  .object({
    input: tokenCount.optional(),
    output: tokenCount.optional(),
    cacheRead: tokenCount.optional(),
    cacheWrite: tokenCount.optional(),
    cacheWrite1h: tokenCount.optional(),
    reasoning: tokenCount.optional(),
  })
  .strict();
export type TokenUsageFields = z.output<typeof tokenUsageFieldsSchema>;

/** Absent counts are zero; the inclusion rules must hold (throws a ValidationError naming the field). */
export function completeUsage(f: TokenUsageFields, what: string): TokenUsage {
  return assertConsistent(
    {
      input: f.input ?? 0,
      output: f.output ?? 0,
      cacheRead: f.cacheRead ?? 0,
      cacheWrite: f.cacheWrite ?? 0,
      cacheWrite1h: f.cacheWrite1h ?? 0,
      reasoning: f.reasoning ?? 0,
    },
    what,
  );
}

export const tokenUsageSchema = z
  .object({
    input: tokenCount.default(0),
    output: tokenCount.default(0),
    cacheRead: tokenCount.default(0),
    cacheWrite: tokenCount.default(0),
    cacheWrite1h: tokenCount.default(0),
    reasoning: tokenCount.default(0),
  })
  .strict()
  .superRefine((u, ctx) => {
    for (const issue of usageInclusionIssues(u)) ctx.addIssue({ code: 'custom', ...issue });
  });

export type TokenUsageInput = z.input<typeof tokenUsageSchema>;

export const ZERO_USAGE: Readonly<TokenUsage> = Object.freeze({
  input: 0,
  output: 0,
  cacheRead: 0,
  cacheWrite: 0,
  cacheWrite1h: 0,
  reasoning: 0,
});

/** The semconv inclusion rules as a list of violations (empty when the usage is consistent). */
export function usageInclusionIssues(u: TokenUsage): { path: string[]; message: string }[] {
  const issues: { path: string[]; message: string }[] = [];
  if (u.cacheRead + u.cacheWrite > u.input) {
    issues.push({
      path: ['cacheRead'],
      message: `cacheRead (${u.cacheRead}) + cacheWrite (${u.cacheWrite}) exceed input (${u.input}); cache tokens are part of input`,
    });
  }
  if (u.cacheWrite1h > u.cacheWrite) {
    issues.push({
      path: ['cacheWrite1h'],
      message: `cacheWrite1h (${u.cacheWrite1h}) exceeds cacheWrite (${u.cacheWrite})`,
    });
  }
  if (u.reasoning > u.output) {
    issues.push({
      path: ['reasoning'],
      message: `reasoning (${u.reasoning}) exceeds output (${u.output}); reasoning tokens are part of output`,
    });
  }
  return issues;
}

/** usageInclusionIssues(u) is empty, without building the list (the ingest path asks per span). */
export function isConsistentUsage(u: TokenUsage): boolean {
  return (
    !(u.cacheRead + u.cacheWrite > u.input) && !(u.cacheWrite1h > u.cacheWrite) && !(u.reasoning > u.output)
  );
}

export function totalTokens(u: TokenUsage): number {
  return u.input + u.output;
}

export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    input: a.input + b.input,
    output: a.output + b.output,
    cacheRead: a.cacheRead + b.cacheRead,
    cacheWrite: a.cacheWrite + b.cacheWrite,
    cacheWrite1h: a.cacheWrite1h + b.cacheWrite1h,
    reasoning: a.reasoning + b.reasoning,
  };
}

/** Throws a ValidationError naming the first broken inclusion rule; returns the usage otherwise. */
export function assertConsistent(u: TokenUsage, what: string): TokenUsage {
  const issue = usageInclusionIssues(u)[0];
  if (issue) throw new ValidationError(issue.path.join('.'), issue.message, what);
  return u;
}
