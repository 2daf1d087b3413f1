// The text the mock "generates": deterministic, so tests can compare what the SDK reassembled.

/** The n text pieces one streamed response sends, in order. */
export function mockTextChunks(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `tok${i} `);
}

/** The full text of a response with n chunks; plain (non-streamed) responses return mockText(chunks). */
export function mockText(n: number): string {
  return mockTextChunks(n).join('');
}

/** Unix seconds, fixed, so recorded responses are stable across runs. */
export const MOCK_CREATED = 1_767_225_600; // 2026-01-01T00:00:00Z

/** The model named in the request body, echoed back as real providers do. */
export function modelOf(ctx: { body: Record<string, unknown> }, fallback: string): string {
  const model = ctx.body['model'];
  return typeof model === 'string' ? model : fallback;
}
