// The official SDK clients, pointed at a mock provider, for tests that drive the real SDKs.
//
// Retries are off by default: openai and Anthropic retry 429/5xx twice (honouring `retry-after`),
// which would turn every error-scenario test into three requests. @google/genai does not retry
// unless `httpOptions.retryOptions` is set, so it needs nothing.
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import type { MockProvider } from './mock-provider.ts';
import { CHUNKS_HEADER, SCENARIO_HEADER, type Scenario } from './scenarios.ts';

export function openaiClient(mock: MockProvider, maxRetries = 0): OpenAI {
  return new OpenAI({ apiKey: 'sk-mock', baseURL: mock.openaiBaseURL, maxRetries });
}

export function anthropicClient(mock: MockProvider, maxRetries = 0): Anthropic {
  return new Anthropic({ apiKey: 'sk-ant-mock', baseURL: mock.anthropicBaseURL, maxRetries });
}

/** The Gemini API client (paths `/v1/models/...`). */
export function geminiClient(mock: MockProvider): GoogleGenAI {
  return new GoogleGenAI({ apiKey: 'gemini-mock', httpOptions: { baseUrl: mock.geminiBaseUrl } });
}

/**
 * A Vertex client with project and location (paths `/v1beta1/projects/{p}/locations/{l}/publishers/
 * google/models/...`). A stub auth client stands in for Application Default Credentials, which the
 * SDK would otherwise try to load.
 */
export function vertexClient(
  mock: MockProvider,
  project = 'mock-project',
  location = 'us-central1',
): GoogleGenAI {
  const authClient = { getRequestHeaders: async () => new Headers({ authorization: 'Bearer mock-token' }) };
  return new GoogleGenAI({
    vertexai: true,
    project,
    location,
    httpOptions: { baseUrl: mock.geminiBaseUrl },
    // The typing wants a google-auth-library AuthClient; GoogleAuth only calls getRequestHeaders().
    googleAuthOptions: { authClient: authClient as never },
  });
}

/** Headers for one request: openai/Anthropic `{ headers }` request options; genai `config.httpOptions.headers`. */
export function mockHeaders(scenario: Scenario, chunks?: number): Record<string, string> {
  const headers: Record<string, string> = { [SCENARIO_HEADER]: scenario };
  if (chunks !== undefined) headers[CHUNKS_HEADER] = String(chunks);
  return headers;
}

/** openai / Anthropic per-request options selecting a scenario. */
export function withScenario(scenario: Scenario, chunks?: number): { headers: Record<string, string> } {
  return { headers: mockHeaders(scenario, chunks) };
}

/** @google/genai per-request `config` selecting a scenario (merged into the client's httpOptions). */
export function geminiScenario(
  scenario: Scenario,
  chunks?: number,
): { httpOptions: { headers: Record<string, string> } } {
  return { httpOptions: { headers: mockHeaders(scenario, chunks) } };
}

/** Iterates a stream to the end or to its error, keeping what arrived before the error. */
export async function drain<T>(stream: AsyncIterable<T>): Promise<{ items: T[]; error: unknown }> {
  const items: T[] = [];
  try {
    for await (const item of stream) items.push(item);
    return { items, error: undefined };
  } catch (error) {
    return { items, error };
  }
}

/**
 * Waits until the server has settled a request's outcome: a client abort is seen by the server a
 * moment after the SDK call returns.
 */
export async function settled(
  mock: MockProvider,
  index = mock.requests.length - 1,
  timeoutMs = 2000,
): Promise<void> {
  const start = Date.now();
  while (mock.requests[index]?.outcome === 'pending') {
    if (Date.now() - start > timeoutMs)
      throw new Error(`request ${index} still pending after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
