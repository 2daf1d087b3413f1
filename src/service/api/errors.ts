import { z } from 'zod';
import { ValidationError } from '../../validation/errors.ts';

/**
 * Every error the REST API answers is `{ error: { code, message, field? } }`, whatever
 * failed: a schema, a key, a route, a conflict or the service itself. Nothing else (no
 * HTML page, no stack trace) ever leaves as an error body.
 */
export const ERROR_CODES = [
  'invalid_request',
  'malformed_json',
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'budget_exceeded',
  'already_committed',
  'reservation_released',
  'reservation_committed',
  'budget_has_children',
  'payload_too_large',
  'unsupported_media_type',
  'store_unavailable',
  'not_ready',
  'persist_failed',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const errorDetailSchema = z.strictObject({
  code: z.enum(ERROR_CODES).describe('Stable machine-readable code.'),
  message: z.string().describe('What was wrong, for people.'),
  field: z
    .string()
    .optional()
    .describe(
      'Path of the offending request field (e.g. `scope.tenant`, `usage.input`), when one is to blame.',
    ),
});

export const errorSchema = z.strictObject({ error: errorDetailSchema });
export type ErrorBody = z.output<typeof errorSchema>;

/** An answer other than success, with its status; `extra` joins `error` at the top level. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly extra: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    status: number,
    code: ErrorCode,
    message: string,
    options: { field?: string; extra?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = options.field;
    this.extra = options.extra;
    this.headers = options.headers;
  }

  body(): Record<string, unknown> {
    const error: ErrorBody['error'] = { code: this.code, message: this.message };
    if (this.field !== undefined && this.field !== '') error.field = this.field;
    return { error, ...this.extra };
  }
}

export const notFound = (what: string): ApiError => new ApiError(404, 'not_found', `${what} not found`);
export const forbidden = (message: string, field?: string): ApiError =>
  new ApiError(403, 'forbidden', message, field === undefined ? {} : { field });

/** Errors raised by Node or Express itself (a bad percent-encoding, say) carry a status. */
function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const s =
    (error as { status?: unknown; statusCode?: unknown }).status ??
    (error as { statusCode?: unknown }).statusCode;
  return typeof s === 'number' && s >= 400 && s < 500 ? s : undefined;
}

/**
 * Any thrown value as the error to answer. Bad input (a ValidationError from a schema or
 * from the engine) is a 400 naming the field; an unexpected failure is a 500 whose
 * message says nothing about the internals (the log has the details).
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ValidationError)
    return new ApiError(400, 'invalid_request', error.message, { field: error.field });
  const status = httpStatusOf(error);
  if (status === 404) return notFound('resource');
  if (status !== undefined) return new ApiError(status, 'invalid_request', 'the request could not be read');
  return new ApiError(500, 'internal', 'internal error; the service log has the details');
}
