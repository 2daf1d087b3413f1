import { z } from 'zod';
import { budgetSpecSchema } from '../../budget/budget-spec.ts';
import { redisStoreConfigSchema } from '../../store/redis-config.ts';
import { labelName, STANDARD_SCOPE_LABELS } from '../../usage/scope.ts';

/**
 * bursar.yaml: every key the service reads, with its default. The file, `BURSAR_*`
 * variables and command-line flags all land here; a bad value is reported by its key path.
 */

const port = z.number().int('must be a whole number').min(0).max(65535);
const bytes = z.number().int().positive();

export const ROLES = ['admin', 'tenant', 'ingest'] as const;
export type Role = (typeof ROLES)[number];

const apiKeySchema = z
  .object({
    /** Shown in logs and audit entries instead of the key. */
    name: z.string().min(1).max(100),
    /** The secret itself, or `keyEnv` naming the variable that holds it. */
    key: z.string().min(16, 'keys must be at least 16 characters').max(512).optional(),
    keyEnv: z.string().min(1).optional(),
    role: z.enum(ROLES, { error: () => `expected one of ${ROLES.join(', ')}` }),
    /** Required for role `tenant`: the tenant this key may see and spend. */
    tenant: z.string().min(1).max(256).optional(),
  })
  .strict()
  .refine((k) => (k.key === undefined) !== (k.keyEnv === undefined), {
    message: 'give exactly one of key or keyEnv',
    path: ['key'],
  })
  .refine((k) => (k.role === 'tenant') === (k.tenant !== undefined), {
    message: 'role tenant needs a tenant, and only role tenant takes one',
    path: ['tenant'],
  });
export type ApiKeyConfig = z.output<typeof apiKeySchema>;

const WEBHOOK_EVENTS = [
  'threshold_crossed',
  'budget_exceeded',
  'override_set',
  'reservation_expired',
  'decision_denied',
] as const;

const webhookSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    /** HMAC-SHA256 secret for the `bursar-signature` header (or `secretEnv`). */
    secret: z.string().min(16).optional(),
    secretEnv: z.string().min(1).optional(),
    events: z
      .array(z.enum(WEBHOOK_EVENTS))
      .min(1)
      .default([...WEBHOOK_EVENTS]),
    /** Only events of this tenant's budgets. */
    tenant: z.string().min(1).optional(),
    maxAttempts: z.number().int().min(1).max(20).default(6),
    timeoutMs: z.number().int().min(100).max(60_000).default(5000),
    /** Backoff before the 2nd attempt; doubles per attempt (with jitter) up to retryMaxMs. */
    retryBaseMs: z.number().int().min(10).max(60_000).default(1000),
    retryMaxMs: z.number().int().min(10).max(3_600_000).default(60_000),
    /** Events waiting for delivery beyond this are dropped (and counted). */
    maxQueue: z.number().int().min(1).max(100_000).default(1000),
  })
  .strict();
export type WebhookConfig = z.output<typeof webhookSchema>;

/** Labels bursar_tokens_total and bursar_cost_usd_total carry besides the metrics.labels. */
const USAGE_SERIES_LABELS: readonly string[] = ['provider', 'model', 'token_type'];

/** Where scope labels come from on OTLP data: attribute name → label name. */
const labelMapSchema = z.record(z.string().min(1).max(256), labelName);

export const serviceConfigSchema = z
  .object({
    /** Interface both listeners bind to. Without API keys only loopback is allowed. */
    host: z.string().min(1).default('127.0.0.1'),
    otlp: z
      .object({
        port: port.default(4318),
        /** Largest request body accepted, compressed or not (413 above). */
        maxBodyBytes: bytes.default(16 * 1024 * 1024),
        /**
         * Request bytes being decoded or committed at once before answering 429 (with about 128
         * bytes more for every attribute value decoded from them).
         */
        maxInFlightBytes: bytes.default(64 * 1024 * 1024),
        /**
         * Most attribute values read from one span, data point or resource (an array or kvlist
         * element counts one); an item with more is rejected in partial_success.
         */
        maxAttributes: z.number().int().min(1).max(1_000_000).default(128),
        /** Seconds a client is told to wait in Retry-After. */
        retryAfterSeconds: z.number().int().min(1).max(3600).default(2),
        /** Resource attributes → scope labels. */
        resourceLabels: labelMapSchema.default({
          'service.name': 'agent',
          'bursar.scope.tenant': 'tenant',
          'bursar.scope.project': 'project',
        }),
        /** Span attributes → scope labels (bursar.scope.* and gen_ai.agent.name are always read). */
        spanLabels: labelMapSchema.default({}),
        /**
         * A process (by service.instance.id, else service.name) that sends GenAI spans is
         * counted from spans and its gen_ai.client.token.usage metrics are ignored; `metrics`
         * flips that.
         */
        precedence: z.enum(['spans', 'metrics']).default('spans'),
      })
      .strict()
      .prefault({}),
    api: z
      .object({
        port: port.default(8013),
        maxBodyBytes: bytes.default(4 * 1024 * 1024),
      })
      .strict()
      .prefault({}),
    store: z
      .object({
        kind: z.enum(['sqlite', 'memory', 'redis']).default('sqlite'),
        /** The SQLite database lives here (bursar.db). */
        dataDir: z.string().min(1).default('./data'),
        /**
         * SQLite durability of an acknowledged write: FULL survives power loss (an fsync per
         * group commit); NORMAL survives a crash of the process (WAL), not of the machine, and
         * answers faster.
         */
        synchronous: z.enum(['FULL', 'NORMAL']).default('FULL'),
        /**
         * kind sqlite: record ids remembered for dedupe (about 21 bytes each). A span or
         * record re-sent while its id is among the last this many accepted counts once;
         * exporters re-send within minutes, so size it to a few minutes of peak ingest.
         */
        dedupeWindow: z.number().int().min(1000).max(100_000_000).default(1_000_000),
        /** kind redis: the Redis server or Cluster several replicas share. */
        redis: redisStoreConfigSchema.optional(),
      })
      .strict()
      .refine((s) => s.kind !== 'redis' || s.redis !== undefined, {
        message: 'store.kind redis needs store.redis with a url or nodes',
        path: ['redis'],
      })
      .prefault({}),
    auth: z
      .object({ keys: z.array(apiKeySchema).default([]) })
      .strict()
      .prefault({}),
    /** Budgets created (or replaced) at start; the REST API changes them later. */
    budgets: z.array(budgetSpecSchema).default([]),
    /** Custom labels allowed in scopes beside tenant/project/agent/component/session/user. */
    customLabels: z.array(labelName).max(16).default([]),
    metrics: z
      .object({
        /** Scope labels (standard or customLabels) that appear on bursar_tokens_total and friends. */
        labels: z.array(labelName).max(8).default(['tenant', 'agent']),
        /** Distinct values per label before new ones are reported as `__overflow__`. */
        maxValuesPerLabel: z.number().int().min(1).max(100_000).default(200),
        /** A budget status read is reused by scrapes within this many ms (HA Prometheus pairs). */
        statusCacheMs: z.number().int().min(0).max(60_000).default(1000),
        /**
         * Whether ingest keys may read /metrics (admin keys always may). Off by default:
         * ingest keys live on every agent host, and /metrics shows every tenant's spend.
         */
        scrapeWithIngestKeys: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** The WebSocket streams /ws and /ws/alerts. */
    websocket: z
      .object({
        /**
         * Ping period. A client that has not answered the previous ping is dropped, so a dead
         * connection goes within two periods; each ping costs every client a small frame.
         */
        heartbeatMs: z.number().int().min(100).max(600_000).default(30_000),
      })
      .strict()
      .prefault({}),
    webhooks: z.array(webhookSchema).default([]),
    /**
     * With a shared store (Redis), how often each replica reloads budgets and overrides, so a
     * change made through one replica applies on every other within this time.
     */
    budgetReloadMs: z.number().int().min(100).max(600_000).default(2000),
    /** How often expired reservations are released. */
    expirySweepMs: z.number().int().min(50).max(600_000).default(1000),
    /** How often budget snapshots are saved for /v1/history. */
    snapshotIntervalMs: z.number().int().min(1000).max(86_400_000).default(60_000),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    // metrics.labels are read from records' scopes, which hold only the standard and the custom
    // labels: any other name would be a label that is never set.
    const known = new Set<string>([...STANDARD_SCOPE_LABELS, ...c.customLabels]);
    const seen = new Set<string>();
    c.metrics.labels.forEach((label, i) => {
      const path = ['metrics', 'labels', i];
      if (!known.has(label))
        ctx.addIssue({
          code: 'custom',
          path,
          message: `unknown scope label ${JSON.stringify(label)}; expected one of ${[...known].join(', ')} (add custom ones to customLabels)`,
        });
      else if (USAGE_SERIES_LABELS.includes(label))
        ctx.addIssue({
          code: 'custom',
          path,
          message: `${JSON.stringify(label)} is already a label of bursar_tokens_total`,
        });
      else if (seen.has(label))
        ctx.addIssue({ code: 'custom', path, message: `${JSON.stringify(label)} is listed twice` });
      seen.add(label);
    });
  });

export type ServiceConfig = z.output<typeof serviceConfigSchema>;
export type ServiceConfigInput = z.input<typeof serviceConfigSchema>;
