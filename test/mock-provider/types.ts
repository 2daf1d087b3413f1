// Shapes shared by the mock provider's server and its per-API handlers.
import type { ProviderFamily } from './errors.ts';
import type { Scenario } from './scenarios.ts';
import type { MockUsage } from './usage.ts';

/** What happened to one request, as far as the server could tell. */
export type RequestOutcome =
  /** Still being answered (a slow stream in flight). */
  | 'pending'
  /** The full response was written. */
  | 'completed'
  /** The mock cut the stream (scenario `truncate`). */
  | 'truncated'
  /** The client went away before the response was complete (abort, `break` out of a stream). */
  | 'client-closed';

/** One request as the mock received it. Outcome fields are updated while the response is written. */
export interface RecordedRequest {
  method: string;
  /** Path with query string, as sent: `/v1/models/gemini-3.5-flash:streamGenerateContent?alt=sse`. */
  path: string;
  /** Lower-cased header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Parsed JSON body, or undefined when the request had none. */
  body: unknown;
  /** Which handler answered, e.g. `openai.chat`, `anthropic.messages`, `gemini.generateContent`. */
  route: string | undefined;
  scenario: Scenario | undefined;
  /** True when the response was SSE. */
  stream: boolean;
  status: number | undefined;
  outcome: RequestOutcome;
  /** SSE frames (events) written before the response ended, was cut, or the client left. */
  framesSent: number;
}

/** Knobs that shape responses; all have defaults, and all can be changed on a running mock. */
export interface MockSettings {
  /** Text chunks per streamed response (default 5); per request: header `x-mock-chunks`. */
  chunks: number;
  /** Delay between stream events, and before plain replies, under `slow` (default 50 ms). */
  slowDelayMs: number;
  /** Text chunks sent before the socket is destroyed under `truncate` (default 2). */
  truncateAfterChunks: number;
  /** Value of the `retry-after` header on 429 replies, seconds (default 0 so forgotten retries stay fast). */
  retryAfterSeconds: number;
}

/** Everything a handler needs to build one reply. */
export interface HandlerContext {
  /** The request body when it was a JSON object; `{}` otherwise. */
  body: Record<string, unknown>;
  scenario: Scenario;
  chunks: number;
  usage: MockUsage;
  settings: MockSettings;
  /** A per-provider sequence number, for ids that differ between requests but are reproducible. */
  seq: number;
  /** Route parameters, e.g. `{ model: 'gemini-3.5-flash' }`. */
  params: Record<string, string>;
}

export type Reply =
  | { kind: 'json'; status: number; headers?: Record<string, string>; body: unknown }
  | {
      kind: 'sse';
      headers?: Record<string, string>;
      /** Fully formatted SSE frames, each ending with its blank line. */
      frames: string[];
      /** For `truncate`: the number of frames to write before destroying the socket. */
      cutAfter?: number;
    };

export interface Route {
  /** Recorded as `RecordedRequest.route`; a function when one pattern serves several methods. */
  name: string | ((params: Record<string, string>) => string);
  family: ProviderFamily;
  method: 'POST';
  /** Matches the URL pathname; named groups become `params`. */
  pattern: RegExp;
  handle(ctx: HandlerContext): Reply;
}
