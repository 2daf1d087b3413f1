import { createHash } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import type { RedisStoreOptions } from './redis-config.ts';
import { LUA, type ScriptName } from './redis-lua.ts';

/** The ioredis client: one server or a Cluster (same command surface for what we use). */
export type RedisClient = Redis | Cluster;

/**
 * Redis cannot be used right now (unreachable, timing out, or its data cannot be trusted).
 * The engine turns it into each budget's failMode; the store buffers usage it was handed.
 */
export class RedisUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisUnavailableError';
  }
}

/** Errors that mean "Redis is not there" rather than "this request is wrong". */
const UNAVAILABLE =
  /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|Connection is closed|Stream isn't writeable|enableOfflineQueue|Command timed out|CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN|READONLY|Failed to refresh slots|None of startup nodes|Too many Cluster redirections|max retries|Reached the max retries/i;

export function isUnavailable(error: unknown): boolean {
  if (error instanceof RedisUnavailableError) return true;
  const msg = error instanceof Error ? error.message : String(error);
  return UNAVAILABLE.test(msg);
}

/** Wraps a client error: unavailability becomes RedisUnavailableError, the rest is rethrown as is. */
export function asStoreError(error: unknown): Error {
  if (error instanceof RedisUnavailableError) return error;
  if (isUnavailable(error))
    return new RedisUnavailableError(`redis unavailable: ${(error as Error).message}`, { cause: error });
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * A client that fails fast: no offline queue (a command while disconnected fails at once
 * instead of waiting), a command timeout, and reconnection in the background. Failing
 * fast is what lets HARD budgets deny promptly and the others go on with buffered usage.
 */
export function connect(o: RedisStoreOptions, timeoutMs: number): RedisClient {
  const retryStrategy = (times: number) => Math.min(50 * times, 1000);
  const common = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(timeoutMs, 1000),
    retryStrategy,
    lazyConnect: true,
  };
  if (o.nodes) {
    return new Cluster(o.nodes, {
      enableOfflineQueue: false,
      clusterRetryStrategy: retryStrategy,
      lazyConnect: true,
      redisOptions: { ...common, ...(o.password ? { password: o.password } : {}) },
    });
  }
  return new Redis(o.url ?? 'redis://127.0.0.1:6379', common);
}

const SHAS = Object.fromEntries(
  Object.entries(LUA).map(([name, text]) => [name, createHash('sha1').update(text).digest('hex')]),
) as Record<ScriptName, string>;

/**
 * EVALSHA, and on NOSCRIPT (a restarted or flushed server, a new Cluster node) EVAL of the
 * same text, which also caches it for the next EVALSHA.
 */
export async function runScript(
  client: RedisClient,
  name: ScriptName,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown[]> {
  // One argument array, built once: numkeys, keys, then ARGV.
  const all: (string | number)[] = [...keys];
  for (const a of args) all.push(a);
  try {
    return (await client.evalsha(SHAS[name], keys.length, ...all)) as unknown[];
  } catch (error) {
    if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw asStoreError(error);
  }
  try {
    return (await client.eval(LUA[name], keys.length, ...all)) as unknown[];
  } catch (error) {
    throw asStoreError(error);
  }
}

export function scriptSha(name: ScriptName): string {
  return SHAS[name];
}
