import { z } from 'zod';

/**
 * Configuration of the Redis store: `store.redis` in bursar.yaml. One Redis (`url`) or a
 * Redis Cluster (`nodes`); everything else has a default that suits a few replicas.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const nodeSchema = z
  .string()
  .regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port')
  .transform((s) => {
    const i = s.lastIndexOf(':');
    return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
  });

export const redisStoreConfigSchema = z
  .object({
    /** One Redis server: redis://[user:password@]host:port[/db] (rediss:// for TLS). */
    url: z
      .string()
      .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
      .optional(),
    /** A Redis Cluster: seed nodes as host:port (the rest are discovered). */
    nodes: z.array(nodeSchema).min(1).optional(),
    /** Password for Cluster nodes (a url carries its own). */
    password: z.string().min(1).optional(),
    /** Every key starts with this (several bursar deployments can share one Redis). */
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits and _ . : - only (no braces: they mark hash tags)')
      .default('bursar'),
    /** A command not answered within this is treated as Redis being unavailable. */
    commandTimeoutMs: z.number().int().min(10).max(60_000).default(2000),
    /** Usage records and commits accepted while Redis is away, replayed when it is back. */
    maxBufferedRecords: z.number().int().min(0).max(10_000_000).default(10_000),
    /** Counters are kept this long after their period ended (late records, last period's status). */
    counterGraceHours: z
      .number()
      .min(0)
      .max(24 * 400)
      .default(7 * 24),
    /** Raw usage records (GET /v1/usage/records, reports) and their de-duplication marks. */
    usageRetentionDays: z.number().min(1).max(3650).default(62),
    /** Finished reservations stay readable (and idempotent) this long after they expire. */
    reservationRetentionHours: z.number().min(0).max(720).default(24),
    /**
     * Holds of a reservation nobody released are dropped by the scripts this long after
     * it expired (the service's expiry sweep usually releases it first, with its event).
     */
    holdPruneGraceMs: z.number().int().min(0).max(HOUR).default(5000),
  })
  .strict()
  .refine((c) => (c.url === undefined) !== (c.nodes === undefined), {
    message: 'give exactly one of url (one Redis) or nodes (a Redis Cluster)',
    path: ['url'],
  });

export type RedisStoreConfig = z.output<typeof redisStoreConfigSchema>;
export type RedisStoreConfigInput = z.input<typeof redisStoreConfigSchema>;

/** What the store itself reads (the configuration in milliseconds, plus test hooks). */
export interface RedisStoreOptions {
  url?: string;
  nodes?: { host: string; port: number }[];
  password?: string;
  prefix?: string;
  commandTimeoutMs?: number;
  maxBufferedRecords?: number;
  counterGraceMs?: number;
  usageRetentionMs?: number;
  reservationRetentionMs?: number;
  holdPruneGraceMs?: number;
  /**
   * One script call per hash-tag slot, in a compensated order, as on a Cluster. On by
   * itself with `nodes`; tests set it on one Redis to exercise the Cluster path.
   */
  perSlot?: boolean;
  /** Epoch ms; the engine's clock, so reservation expiry agrees with it. */
  now?: () => number;
}

export function redisOptionsFromConfig(c: RedisStoreConfig, now?: () => number): RedisStoreOptions {
  const o: RedisStoreOptions = {
    prefix: c.prefix,
    commandTimeoutMs: c.commandTimeoutMs,
    maxBufferedRecords: c.maxBufferedRecords,
    counterGraceMs: c.counterGraceHours * HOUR,
    usageRetentionMs: c.usageRetentionDays * DAY,
    reservationRetentionMs: c.reservationRetentionHours * HOUR,
    holdPruneGraceMs: c.holdPruneGraceMs,
  };
  if (c.url !== undefined) o.url = c.url;
  if (c.nodes !== undefined) o.nodes = c.nodes;
  if (c.password !== undefined) o.password = c.password;
  if (now) o.now = now;
  return o;
}

export const REDIS_DEFAULTS = {
  prefix: 'bursar',
  commandTimeoutMs: 2000,
  maxBufferedRecords: 10_000,
  counterGraceMs: 7 * DAY,
  usageRetentionMs: 62 * DAY,
  reservationRetentionMs: DAY,
  holdPruneGraceMs: 5000,
} as const;
