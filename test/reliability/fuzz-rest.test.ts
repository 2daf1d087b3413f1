import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/service/api/errors.ts';
import { ADMIN_KEY, type ApiFixture, startApi, TENANT_A_KEY } from '../service/api/api-client.ts';
import { runs, FUZZ_TIMEOUT } from './fuzz-arbitraries.ts';

/**
 * Fuzzing every REST route of the real service over HTTP: every request body (random JSON,
 * valid bodies with any value replaced or an unknown key added, broken JSON text, other
 * media types), every query string (known and unknown parameters, repeated, badly
 * percent-encoded), path parameters and Authorization headers. Every answer is either a
 * success or a 4xx `{ error: { code, message } }` with a known code and a message — never
 * a 5xx — and after a 4xx the service's state (usage, counters, active reservations,
 * budgets, overrides, prices, audit log) is exactly what it was.
 *
 * ≈10k requests at BURSAR_FUZZ_SCALE=1.
 */

const NOW = Date.now();
let f: ApiFixture;
let reservationId = '';
let requests = 0;
/** Answers by status, printed at the end: the fuzzing must reach successes and refusals alike. */
const statuses = new Map<number, number>();

beforeAll(async () => {
  f = await startApi(
    {
      log: { level: 'silent' },
      budgets: [
        {
          id: 'fixed',
          resource: 'tokens',
          period: 'day',
          limit: 1_000_000,
          policy: 'HARD_LIMIT',
          groupBy: ['tenant'],
        },
        { id: 'spend', resource: 'cost_usd', period: 'month', limit: 100, policy: 'WARN' },
      ],
    },
    // The service's clock stands still: a fuzzed reservation with a 1 ms ttl (or an override
    // that runs out) must not change the state while a later request is being checked.
    { now: () => NOW },
  );
  const r = await f.admin.post('/v1/reservations', { scope: { tenant: 'a' }, estimate: { inputTokens: 10 } });
  reservationId = r.body.reservation.id as string;
});
afterAll(async () => {
  console.log(`fuzz-rest: ${requests} requests`, Object.fromEntries(statuses));
  await f?.svc.stop();
});

/** Everything the service keeps, as one string to compare. */
async function state(): Promise<string> {
  const { engine, catalog } = f.svc.context;
  const store = engine.store;
  const budgets = engine.budgets().map((b) => b.spec);
  const counters = await Promise.all(budgets.map((b) => store.listCounters(b.id, 0)));
  return JSON.stringify([
    await store.aggregateUsage({ from: 0, to: 8e12, groupBy: ['tenant', 'model'] }),
    (await store.activeReservations()).map((r) => r.id).sort(),
    budgets,
    counters,
    await store.loadOverrides(),
    catalog.list().filter((e) => e.origin === 'custom'),
    await store.listAudit(3),
  ]);
}

async function send(
  method: string,
  path: string,
  init: { body?: string; contentType?: string; key?: string; authorization?: string } = {},
) {
  const headers: Record<string, string> = {};
  const auth = init.authorization ?? (init.key ? `Bearer ${init.key}` : undefined);
  if (auth !== undefined) headers.authorization = auth;
  if (init.body !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
  const res = await fetch(f.svc.apiUrl + path, {
    method,
    headers,
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  requests++;
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  return { status: res.status, text: await res.text() };
}

let before = '';
/** The rule every answer follows; the state moves only with a success. */
async function check(answer: { status: number; text: string }, what: string): Promise<void> {
  expect(answer.status, `${what}: ${answer.text}`).toBeLessThan(500);
  const after = await state();
  if (answer.status >= 400) {
    const body = JSON.parse(answer.text) as { error: { code: string; message: string } };
    expect(ERROR_CODES, what).toContain(body.error.code);
    expect(body.error.message.length, what).toBeGreaterThan(0);
    expect(after, `${what} → ${answer.status} changed the state`).toBe(before);
  }
  before = after;
}

const now = NOW;
const SEEDS: Record<string, unknown> = {
  'POST /v1/check': {
    scope: { tenant: 'a', agent: 'x' },
    provider: 'openai',
    model: 'gpt-4o-mini',
    estimate: { inputTokens: 100, outputTokens: 10 },
  },
  'POST /v1/reservations': {
    scope: { tenant: 'a' },
    model: 'gpt-4o-mini',
    estimate: { inputTokens: 100 },
    ttlMs: 60_000,
    idempotencyKey: 'k',
  },
  'POST /v1/reservations/{id}/commit': {
    usage: { input: 10, output: 1, cacheRead: 2 },
    scope: { tenant: 'a' },
  },
  'POST /v1/usage': {
    records: [
      {
        id: 'seed',
        time: now,
        provider: 'openai',
        operation: 'chat',
        requestModel: 'gpt-4o-mini',
        usage: { input: 10, output: 1 },
        scope: { tenant: 'a' },
      },
    ],
  },
  'PUT /v1/budgets/{id}': {
    resource: 'tokens',
    period: 'day',
    limit: 5,
    policy: 'WARN',
    selector: { tenant: 'a' },
    thresholds: [0.5, 0.9],
  },
  'POST /v1/overrides': { budgetId: 'fixed', group: 'a', amount: 1, expiresAt: now + 60_000, reason: 'r' },
  'PUT /v1/prices/{model}': { input: 1, output: 2, cacheRead: 0.1 },
  'POST /v1/prices/import': {
    'fuzz-model': { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6, litellm_provider: 'openai' },
  },
};
const BODY_ROUTES = Object.keys(SEEDS);
const ALL_ROUTES = [
  'GET /healthz',
  'GET /readyz',
  'GET /openapi.json',
  'GET /v1/reservations',
  'GET /v1/reservations/{id}',
  'DELETE /v1/reservations/{id}',
  'GET /v1/usage',
  'GET /v1/usage/records',
  'GET /v1/budgets',
  'GET /v1/budgets/{id}',
  'DELETE /v1/budgets/{id}',
  'GET /v1/status',
  'GET /v1/history',
  'GET /v1/overrides',
  'DELETE /v1/overrides/{id}',
  'GET /v1/reports/summary',
  'GET /v1/reports/optimize',
  'GET /v1/prices',
  'DELETE /v1/prices/{model}',
  ...BODY_ROUTES,
];

const QUERY_NAMES = [
  'period',
  'from',
  'to',
  'timeZone',
  'groupBy',
  'top',
  'format',
  'limit',
  'cursor',
  'budgetId',
  'includeExpired',
  'origin',
  'provider',
  'model',
  'tenant',
  'agent',
  'highTokensPerCall',
  'minCacheHitRatio',
  'minCacheableInput',
  'source',
  'effectiveFrom',
  '__proto__',
  'constructor',
  'unknown',
];
const queryValue = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    'day',
    'month',
    'total',
    'tenant,model',
    'csv',
    'json',
    'Europe/Paris',
    'Mars/Olympus',
    '-1',
    '0',
  ),
  fc.constantFrom('1e309', 'NaN', '2026-05-20T10:00:00Z', '2026-13-45', 'true', '%ZZ', '%00', '\u0000', '𝄞'),
  fc.integer().map(String),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);
const query = fc
  .array(fc.tuple(fc.constantFrom(...QUERY_NAMES), queryValue), { maxLength: 5 })
  .map((pairs) =>
    pairs.length === 0
      ? ''
      : `?${pairs.map(([k, v]) => `${k}=${v.startsWith('%') ? v : encodeURIComponent(v)}`).join('&')}`,
  );
const pathParam = fc.oneof(
  fc.constant('@reservation'),
  fc.constantFrom(
    'fixed',
    'spend',
    'gpt-4o-mini',
    'nope',
    '%',
    '%ZZ',
    '..%2F..',
    'a'.repeat(3000),
    '__proto__',
  ),
  fc.string({ minLength: 1, maxLength: 20 }).map(encodeURIComponent),
);
const fillPath = (route: string, p: string) => {
  const [method, template] = route.split(' ') as [string, string];
  const value = p === '@reservation' ? reservationId : p;
  return { method, path: template.replace(/\{\w+\}/, value) };
};

/** Replaces the `at`-th node of a JSON value, or adds an unknown key to an object in it. */
function mutateJson(seed: unknown, at: number, replacement: unknown, addKey: boolean): unknown {
  const root = structuredClone(seed);
  const nodes: { parent: Record<string, unknown> | unknown[]; key: string | number; value: unknown }[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v))
      v.forEach((x, i) => {
        nodes.push({ parent: v, key: i, value: x });
        walk(x);
      });
    else if (v !== null && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        nodes.push({ parent: v as Record<string, unknown>, key: k, value: x });
        walk(x);
      }
  };
  walk(root);
  if (nodes.length === 0) return replacement;
  const node = nodes[at % nodes.length]!;
  if (addKey && node.value !== null && typeof node.value === 'object' && !Array.isArray(node.value))
    (node.value as Record<string, unknown>).unexpected = replacement;
  else (node.parent as Record<string | number, unknown>)[node.key] = replacement;
  return root;
}

const anyJson = fc.jsonValue({ maxDepth: 3 });
const specialValue = fc.constantFrom(
  -1,
  0,
  1e308,
  -1e-300,
  2 ** 53 + 1,
  1.5,
  '',
  ' ',
  'x'.repeat(10_000),
  '\u0000',
  '\ud800',
  null,
  true,
  [],
  {},
  { __proto__: { admin: true } },
);

const opts = (n: number) => ({ numRuns: runs(n), timeout: 10_000 });

describe('REST API under fuzzing', { timeout: FUZZ_TIMEOUT }, () => {
  beforeAll(async () => {
    before = await state();
  });

  it('request bodies: seeds with a value replaced or a key added, as admin or tenant a', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...BODY_ROUTES),
        fc.nat(),
        fc.oneof(anyJson, specialValue),
        fc.boolean(),
        fc.constantFrom(ADMIN_KEY, TENANT_A_KEY),
        async (route, at, replacement, addKey, key) => {
          const { method, path } = fillPath(route, route.includes('prices') ? 'fuzz-price' : '@reservation');
          const body = JSON.stringify(mutateJson(SEEDS[route], at, replacement, addKey));
          await check(await send(method, path, { body, key }), `${route} ${body.slice(0, 300)}`);
        },
      ),
      opts(4000),
    );
  });

  it('request bodies: any JSON value, broken JSON text, other media types', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...BODY_ROUTES),
        fc.oneof(
          anyJson.map((v) => JSON.stringify(v)),
          fc.string({ maxLength: 50 }),
          fc
            .tuple(fc.constantFrom(...Object.values(SEEDS).map((s) => JSON.stringify(s))), fc.nat())
            .map(([t, n]) => t.slice(0, n % t.length)),
          fc.constantFrom('[', '{"a":', '{"scope":{"tenant":"a"}}}', '\ufeff{}', `${'['.repeat(100_000)}`),
        ),
        fc.constantFrom(
          'application/json',
          'application/json; charset=utf-8',
          'application/merge-patch+json',
          'application/json; charset=latin1',
          'text/plain',
          'application/x-www-form-urlencoded',
        ),
        async (route, text, contentType) => {
          const { method, path } = fillPath(route, '@reservation');
          await check(
            await send(method, path, { body: text, contentType, key: ADMIN_KEY }),
            `${route} ${contentType} ${text.slice(0, 200)}`,
          );
        },
      ),
      opts(2500),
    );
  });

  it('query strings and path parameters of every route', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ALL_ROUTES), pathParam, query, async (route, p, q) => {
        const { method, path } = fillPath(route, p);
        // Writes keep a valid body here: this property is about the query and the path.
        const seed = SEEDS[route];
        const body = seed === undefined ? undefined : JSON.stringify(seed);
        await check(
          await send(method, path + q, { key: ADMIN_KEY, ...(body ? { body } : {}) }),
          `${method} ${path.slice(0, 200)}${q}`,
        );
      }),
      opts(2500),
    );
  });

  it('Authorization headers: anything but a configured key is 401 and changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...BODY_ROUTES),
        fc.oneof(
          fc.string({ maxLength: 40 }).map((s) => `Bearer ${s}`),
          fc.constantFrom(
            'Bearer',
            'Bearer ',
            'bearer  x',
            'Basic YWRtaW46YWRtaW4=',
            `Bearer ${ADMIN_KEY} x`,
            `Bearer ${ADMIN_KEY.slice(0, -1)}`,
            `Bearer ${ADMIN_KEY}0`,
            `Bearer ${ADMIN_KEY.toUpperCase()}`,
          ),
          // Header values must be visible ASCII for fetch; anything else it refuses to send.
          fc.string({
            maxLength: 40,
            unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
          }),
        ),
        async (route, authorization) => {
          const { method, path } = fillPath(route, '@reservation');
          const answer = await send(method, path, { body: JSON.stringify(SEEDS[route]), authorization });
          expect(answer.status, authorization).toBe(401);
          await check(answer, `${route} ${authorization}`);
        },
      ),
      opts(1000),
    );
  });
});
