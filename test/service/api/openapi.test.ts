import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp } from '../../../src/service/api/api-app.ts';
import { type ApiFixture, startApi } from './api-client.ts';

/**
 * /openapi.json is generated from the routes: every served route is documented, every
 * documented operation is served, and the documented request schemas refuse what the
 * routes refuse (the answers themselves are checked against it in every other test file).
 */

let f: ApiFixture;
beforeAll(async () => {
  f = await startApi({
    budgets: [{ id: 'b', resource: 'cost_usd', period: 'day', limit: 1, policy: 'HARD_LIMIT' }],
  });
});
afterAll(() => f.svc.stop());

type Op = { method: string; path: string; op: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
const operations = (): Op[] =>
  Object.entries(f.documented.doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );
const concrete = (path: string) => path.replace(/\{\w+\}/g, 'zz-missing');

describe('/openapi.json', () => {
  it('is OpenAPI 3.1 whose every schema compiles and every $ref resolves', () => {
    const doc = f.documented.doc as unknown as { openapi: string; info: { description: string } };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.description).toContain('exact decimal STRING');
    for (const id of Object.keys(f.documented.doc.components.schemas))
      expect(() => f.documented.validator(`#/components/schemas/${id}`), id).not.toThrow();
  });

  it('documents every route Express serves, and nothing it does not', () => {
    const app = createApiApp(f.svc.context);
    const served = new Set<string>();
    type Layer = { route?: { path: string; methods: Record<string, boolean>; stack: { name: string }[] } };
    for (const layer of (app.express.router as unknown as { stack: Layer[] }).stack) {
      const route = layer.route;
      // The 405 answer registered for every method of a known path is not a route of its own.
      if (!route || route.stack.every((l) => l.name === 'methodNotAllowed')) continue;
      for (const m of Object.keys(route.methods))
        served.add(`${m.toUpperCase()} ${route.path.replace(/:(\w+)/g, '{$1}')}`);
    }
    const documented = new Set(operations().map((o) => `${o.method} ${o.path}`));
    expect([...served].sort()).toEqual([...documented].sort());
    expect(documented.size).toBeGreaterThanOrEqual(27);
    for (const expected of [
      'POST /v1/check',
      'POST /v1/reservations',
      'POST /v1/reservations/{id}/commit',
      'DELETE /v1/reservations/{id}',
      'POST /v1/usage',
      'GET /v1/usage',
      'GET /v1/budgets',
      'PUT /v1/budgets/{id}',
      'DELETE /v1/budgets/{id}',
      'GET /v1/status',
      'GET /v1/history',
      'GET /v1/reports/summary',
      'GET /v1/reports/optimize',
      'POST /v1/overrides',
      'GET /v1/overrides',
      'DELETE /v1/overrides/{id}',
      'GET /v1/prices',
      'PUT /v1/prices/{model}',
      'POST /v1/prices/import',
      'GET /healthz',
      'GET /readyz',
      'GET /openapi.json',
    ])
      expect(documented, expected).toContain(expected);
  });

  it('every documented operation answers (no 404 for the route, no 405)', async () => {
    for (const { method, path } of operations()) {
      const r = await f.admin.call(
        method,
        concrete(path),
        method === 'GET' || method === 'DELETE' ? undefined : {},
      );
      expect(r.status, `${method} ${path}`).not.toBe(405);
      if (r.status === 404) expect(r.body.error.message, `${method} ${path}`).not.toMatch(/^no route/);
    }
  });

  it('documents auth, errors and a schema for every answer', () => {
    for (const { method, path, op } of operations()) {
      const where = `${method} ${path}`;
      const isPublic = ['/healthz', '/readyz', '/openapi.json'].includes(path);
      expect(op.security, where).toEqual(isPublic ? [] : [{ bearer: [] }]);
      expect(op.responses['500'], where).toBeDefined();
      if (!isPublic) {
        expect(op.responses['401'], where).toBeDefined();
        expect(op.responses['403'], where).toBeDefined();
      }
      if (op.requestBody) {
        for (const s of ['400', '413', '415']) expect(op.responses[s], `${where} ${s}`).toBeDefined();
      }
      for (const [status, res] of Object.entries(op.responses as Record<string, { content?: object }>))
        if (Number(status) >= 400)
          expect(res.content, `${where} ${status}`).toHaveProperty(['application/json', 'schema']);
    }
  });
});

describe('documented request schemas refuse what the routes refuse', () => {
  const bodies: Record<string, { bad: unknown[]; good: unknown[] }> = {
    'POST /v1/check': {
      bad: [
        { estimate: { inputTokens: -1 } },
        { model: '' },
        { scope: { Tenant: 'a' } },
        { scope: { tenant: 1 } },
        { estimate: { inputTokens: 1.5 } },
      ],
      good: [{}, { scope: { tenant: 'a' }, model: 'gpt-4o', estimate: { inputTokens: 5 } }],
    },
    'POST /v1/reservations': {
      bad: [{ ttlMs: 0 }, { ttlMs: 2.5 }, { idempotencyKey: '' }, { tool: 'x'.repeat(257) }],
      good: [{ ttlMs: 1000, idempotencyKey: 'k', tool: 'search' }],
    },
    'POST /v1/reservations/{id}/commit': {
      bad: [{ usage: { input: -1 } }, { usage: { colour: 1 } }, {}, { usage: {}, durationMs: -5 }],
      good: [],
    },
    'POST /v1/usage': {
      bad: [{ records: [] }, { records: [{ id: 'x' }] }],
      good: [],
    },
    'PUT /v1/budgets/{id}': {
      bad: [
        { resource: 'euros', period: 'day', limit: 1, policy: 'WARN' },
        { resource: 'tokens', period: 'day', limit: -1, policy: 'WARN' },
      ],
      good: [],
    },
    'POST /v1/overrides': {
      bad: [
        { budgetId: 'b', amount: 0, expiresAt: 4_000_000_000_000, reason: 'r' },
        { budgetId: 'b', amount: 1, expiresAt: 'soon', reason: 'r' },
      ],
      good: [{ budgetId: 'b', amount: 1, expiresAt: 4_000_000_000_000, reason: 'r' }],
    },
    'PUT /v1/prices/{model}': {
      bad: [
        { input: -1, output: 1 },
        { input: 'cheap', output: 1 },
      ],
      good: [],
    },
    'POST /v1/prices/import': { bad: [{ m: 5 }], good: [] },
  };

  it('bodies: each refused body is 400 from the route and invalid for the documented schema', async () => {
    for (const { method, path, op } of operations()) {
      if (!op.requestBody) continue;
      const where = `${method} ${path}`;
      const validate = f.documented.validator(op.requestBody.content['application/json'].schema.$ref);
      const table = bodies[where];
      expect(table, `${where} has a case table`).toBeDefined();
      for (const bad of [...table!.bad, [], 'text', { unknownField: 1 }]) {
        // The body is validated before any lookup, so even an unknown id answers 400 here.
        const url = path
          .replace('{id}', path.startsWith('/v1/budgets') ? 'b' : 'zz')
          .replace('{model}', 'some-model');
        const r = await f.admin.call(method, url, bad);
        expect(r.status, `${where} ${JSON.stringify(bad)}`).toBe(400);
        expect(validate(bad), `${where} schema refuses ${JSON.stringify(bad)}`).toBe(false);
      }
      for (const good of table!.good) {
        expect(validate(good), `${where} schema accepts ${JSON.stringify(good)}`).toBe(true);
        const r = await f.admin.call(method, path, good);
        expect(r.status, `${where} ${JSON.stringify(good)}`).toBeLessThan(400);
      }
    }
  });

  it('query parameters: a value of the wrong type or outside an enum is 400 naming it, and invalid for its schema', async () => {
    let checked = 0;
    for (const { method, path, op } of operations()) {
      for (const p of op.parameters as { name: string; in: string; schema: Record<string, unknown> }[]) {
        if (p.in !== 'query') continue;
        const s = p.schema;
        const bad = s.enum
          ? 'zz-not-listed'
          : s.type === 'integer' || s.type === 'number'
            ? 'abc'
            : s.pattern || s.anyOf
              ? 'zz not valid!'
              : undefined;
        if (bad === undefined) continue;
        const r = await f.admin.call(method, `${concrete(path)}?${p.name}=${encodeURIComponent(bad)}`);
        expect(r.status, `${method} ${path} ?${p.name}=${bad}`).toBe(400);
        expect(r.body.error.field, `${method} ${path} ?${p.name}`).toBe(p.name);
        const validate = f.documented.validator(`#/components/schemas/Error`); // compiles the doc
        expect(validate(r.body)).toBe(true);
        const { Ajv2020 } = await import('ajv/dist/2020.js');
        const ajv = new Ajv2020({ strict: false, validateFormats: false });
        expect(ajv.validate(s, bad), `${method} ${path} ${p.name} schema refuses ${bad}`).toBe(false);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(15);
  });
});
