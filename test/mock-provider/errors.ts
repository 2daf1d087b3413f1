// Error bodies in each provider's real JSON shape, for HTTP errors and for in-stream error events.
//
// The shapes matter: openai builds `err.error`/`err.code`/`err.type` from the `error` object,
// Anthropic builds `err.type`/`err.apiMessage` from `error.type`/`error.message` and reads the
// `request-id` header, and @google/genai stringifies the whole body into `ApiError.message`.
export type ProviderFamily = 'openai' | 'anthropic' | 'gemini';

export interface ErrorReply {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

const OPENAI_ERRORS = {
  400: {
    message: "Invalid value for 'messages': the mock was asked to reject this request.",
    type: 'invalid_request_error',
    param: 'messages',
    code: 'invalid_value',
  },
  429: {
    message: 'Rate limit reached for requests (mock). Please try again in 0s.',
    type: 'requests',
    param: null,
    code: 'rate_limit_exceeded',
  },
  500: {
    message: 'The server had an error while processing your request. Sorry about that! (mock)',
    type: 'server_error',
    param: null,
    code: null,
  },
} as const;

const ANTHROPIC_ERRORS = {
  400: { type: 'invalid_request_error', message: 'messages: the mock was asked to reject this request' },
  429: { type: 'rate_limit_error', message: 'Number of request tokens has exceeded your rate limit (mock)' },
  500: { type: 'api_error', message: 'Internal server error (mock)' },
} as const;

const GEMINI_ERRORS = {
  400: { status: 'INVALID_ARGUMENT', message: 'Request contains an invalid argument. (mock)' },
  429: { status: 'RESOURCE_EXHAUSTED', message: 'Resource has been exhausted (e.g. check quota). (mock)' },
  500: { status: 'INTERNAL', message: 'An internal error has occurred. (mock)' },
} as const;

/**
 * The HTTP reply for an error scenario. 429 carries `retry-after` (seconds), which openai and
 * Anthropic honour when they retry; @google/genai does not retry unless `retryOptions` is set.
 */
export function errorReply(
  family: ProviderFamily,
  status: 400 | 429 | 500,
  requestId: string,
  retryAfterSeconds: number,
): ErrorReply {
  const headers: Record<string, string> = status === 429 ? { 'retry-after': String(retryAfterSeconds) } : {};
  switch (family) {
    case 'openai':
      return {
        status,
        headers: { ...headers, 'x-request-id': requestId },
        body: { error: OPENAI_ERRORS[status] },
      };
    case 'anthropic':
      return {
        status,
        headers: { ...headers, 'request-id': requestId },
        body: { type: 'error', error: ANTHROPIC_ERRORS[status], request_id: requestId },
      };
    case 'gemini':
      return { status, headers, body: { error: { code: status, ...GEMINI_ERRORS[status] } } };
  }
}

/** The in-stream error for `stream-error` on Anthropic: what `overloaded_error` looks like on the wire. */
export const ANTHROPIC_STREAM_ERROR = {
  type: 'error',
  error: { type: 'overloaded_error', message: 'Overloaded (mock)' },
} as const;

/** The in-stream error chunk for OpenAI chat completions (a `data:` line whose JSON has `error`). */
export const OPENAI_CHAT_STREAM_ERROR = {
  error: {
    message: 'The server had an error while streaming (mock)',
    type: 'server_error',
    param: null,
    code: null,
  },
} as const;

/** The Gemini in-stream error chunk: the SDK raises ApiError when a chunk has `error.code` 4xx/5xx. */
export const GEMINI_STREAM_ERROR = {
  error: { code: 503, message: 'The model is overloaded. (mock)', status: 'UNAVAILABLE' },
} as const;

/** Body for a request the mock cannot route or a scenario name it does not know. */
export function mockMisuse(status: 400 | 404, message: string): ErrorReply {
  return { status, headers: {}, body: { error: { message: `mock-provider: ${message}` } } };
}
