// Scenario names a test can ask the mock provider for, and how one request's scenario is chosen.
//
// Precedence, most specific first: the `x-mock-scenario` request header (the SDKs all let a caller add
// headers to one request), then the next entry queued with `queueScenarios()` (so a retry test can
// script "429 then ok" without touching the SDK call), then the provider's default (`setScenario()`).

export const SCENARIOS = [
  /** Normal response with usage. */
  'ok',
  /** HTTP 400 with the provider's invalid-request error body. */
  'error-400',
  /** HTTP 429 with the provider's rate-limit body and a `retry-after` header. */
  'error-429',
  /** HTTP 500 with the provider's server-error body. */
  'error-500',
  /**
   * Streams only: send the opening events (including the usage-bearing start event where the format
   * has one) and a few text chunks, then destroy the socket without the terminal event.
   * Plain requests under this scenario get a normal response.
   */
  'truncate',
  /** Streams: space every event by `slowDelayMs`. Plain requests: wait `slowDelayMs` before answering. */
  'slow',
  /** Every usage object left out of the response (count-tokens endpoints are unaffected). */
  'no-usage',
  /**
   * Streams only: a few events, then the provider's in-stream error event, then a clean end.
   * This is how providers report failures (e.g. Anthropic `overloaded_error`) after the 200 is sent.
   */
  'stream-error',
] as const;

export type Scenario = (typeof SCENARIOS)[number];

/** The request header that picks a scenario for one request. */
export const SCENARIO_HEADER = 'x-mock-scenario';
/** The request header that overrides the number of streamed text chunks for one request. */
export const CHUNKS_HEADER = 'x-mock-chunks';

export function isScenario(value: unknown): value is Scenario {
  return typeof value === 'string' && (SCENARIOS as readonly string[]).includes(value);
}

export type ErrorScenario = Extract<Scenario, `error-${string}`>;

export function isErrorScenario(s: Scenario): s is ErrorScenario {
  return s.startsWith('error-');
}

export function errorStatus(s: ErrorScenario): 400 | 429 | 500 {
  if (s === 'error-400') return 400;
  if (s === 'error-429') return 429;
  return 500;
}

/** Holds the default scenario and the queue; one per mock provider. */
export class ScenarioSelector {
  #default: Scenario;
  #queue: Scenario[] = [];

  constructor(initial: Scenario) {
    this.#default = initial;
  }

  get default(): Scenario {
    return this.#default;
  }

  setDefault(s: Scenario): void {
    this.#default = s;
  }

  enqueue(list: readonly Scenario[]): void {
    this.#queue.push(...list);
  }

  clearQueue(): void {
    this.#queue = [];
  }

  /**
   * Picks the scenario for one request. A header naming an unknown scenario is an error in the test,
   * reported as such rather than silently treated as `ok`. The queue is consumed only by requests
   * without a header, so header-driven requests do not eat entries meant for others.
   */
  select(header: string | undefined): { scenario: Scenario } | { unknown: string } {
    if (header !== undefined) {
      return isScenario(header) ? { scenario: header } : { unknown: header };
    }
    return { scenario: this.#queue.shift() ?? this.#default };
  }
}
