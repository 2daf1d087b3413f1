import type { z } from 'zod';

/**
 * Bad input: names the field that was wrong and why. Every parser and endpoint throws
 * this (or answers 4xx with its fields) so callers never have to read a stack trace.
 */
export class ValidationError extends Error {
  readonly field: string;
  readonly reason: string;
  constructor(field: string, reason: string, what?: string) {
    super(`${what ? `${what}: ` : ''}${field ? `${field}: ` : ''}${reason}`);
    this.name = 'ValidationError';
    this.field = field;
    this.reason = reason;
  }
}

/** The first zod issue as a `path: message` pair; zod orders issues by position. */
export function fromZodError(error: z.ZodError, what?: string): ValidationError {
  const first = error.issues[0];
  const field = first ? first.path.map(String).join('.') : '';
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem(s))` : '';
  return new ValidationError(field, `${first?.message ?? 'invalid'}${more}`, what);
}

/** Parse with a zod schema, throwing a ValidationError that names the field. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what?: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw fromZodError(result.error, what);
  return result.data;
}

/**
 * Runs `fn`, turning a synchronous throw (bad input found by a parser) into a rejected
 * promise, so a method need not be `async` — one promise fewer per call on a hot path —
 * and callers still see every failure as a rejection.
 */
export function rejecting<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (error) {
    return Promise.reject(error);
  }
}
