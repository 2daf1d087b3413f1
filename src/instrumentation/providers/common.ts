import { type GenAiResult, MissingUsageError } from '../call.ts';
import type { CallTracker, GenAiTelemetry } from '../telemetry.ts';

/** Small pieces every provider adapter needs. */

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** SDKs end an aborted stream quietly; the call still counts as cancelled. */
export class StreamAborted extends Error {
  override name = 'AbortError';
}

const servers = new Map<string, { address?: string; port?: number }>();

/** server.address / server.port of a base URL, parsed once per distinct URL. */
export function serverOf(baseURL: string | undefined, fallback: string): { address?: string; port?: number } {
  const key = baseURL ?? fallback;
  const hit = servers.get(key);
  if (hit) return hit;
  let info: { address?: string; port?: number } = {};
  try {
    const url = new URL(key);
    info = {
      address: url.hostname,
      port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80,
    };
  } catch {
    // An unparseable base URL still gets counted, without server attributes.
  }
  if (servers.size > 100) servers.clear();
  servers.set(key, info);
  return info;
}

/** The error to throw when a response carried no usage and the settings say so. */
export function missingUsageFailure(
  t: GenAiTelemetry,
  call: CallTracker,
  result: GenAiResult,
): Error | undefined {
  if (result.usage === undefined && t.settings.onMissingUsage === 'throw') {
    return new MissingUsageError(call.request.provider, call.request.operation, call.request.model);
  }
  return undefined;
}
