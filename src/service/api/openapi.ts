import { z } from 'zod';
import { errorSchema } from './errors.ts';
import { apiSchemas, named, type ResponseDoc, type Route } from './route.ts';

/**
 * /openapi.json, generated from the routes themselves: every request schema shown is the
 * zod schema that validates the request (z.toJSONSchema), every response schema the one
 * the tests hold responses to. Refinements that JSON Schema cannot say (e.g. cacheRead +
 * cacheWrite ≤ input) are enforced by the route and named in the error they produce.
 */

named('Error', errorSchema);

type JsonSchema = Record<string, unknown> & { properties?: Record<string, JsonSchema>; required?: string[] };

const REF = (id: string) => ({ $ref: `#/components/schemas/${id}` });

const COMMON_ERRORS: Record<number, string> = {
  400: 'Invalid request: a schema error names the field (error.field); malformed JSON is error.code malformed_json.',
  401: 'Missing or unknown API key (Authorization: Bearer <key>).',
  403: 'The key may not do this (ingest keys never; tenant keys only for their own tenant; writes to budgets, prices and overrides are admin only).',
  404: 'No such resource (or it belongs to another tenant).',
  413: 'Request body over api.maxBodyBytes.',
  415: 'Request body is not application/json (UTF-8, no Content-Encoding).',
  500: 'Internal error; no details leave the service.',
};

const DESCRIPTION = `bursar's enforcement and reporting API.

Authentication: every route except /healthz, /readyz and /openapi.json needs \`Authorization: Bearer <api key>\`. Admin keys may do everything; tenant keys check, reserve, commit, release, record and read for their own tenant only; ingest keys are for OTLP only.

Money: the engine counts in integers. Every amount keeps its integer field (nano-USD = 1e-9 USD for costs, milliseconds for durations, whole tokens and counts) and shows the USD figure beside it as an exact decimal STRING derived from that integer by digit arithmetic (e.g. nanoUsd 270000 → usd "0.00027"); never as a float. Prices are shown in USD per 1M tokens as exact decimal strings beside their integer pico-USD-per-token figure.

Errors: always \`{ "error": { "code", "message", "field"? } }\`.

Times: responses give ISO 8601 UTC timestamps; query parameters from/to take ISO 8601 date-times (with offset) or dates.`;

function componentId(schema: z.ZodType, where: string): string {
  const id = apiSchemas.get(schema)?.id;
  if (id === undefined)
    throw new Error(`openapi: ${where} uses a schema that is not registered with named()`);
  return id;
}

function responseObject(status: number, doc: ResponseDoc): Record<string, unknown> {
  const content: Record<string, unknown> = {};
  if (doc.schema) content['application/json'] = { schema: REF(componentId(doc.schema, doc.description)) };
  else if (status >= 400) content['application/json'] = { schema: REF('Error') };
  for (const [type, description] of Object.entries(doc.alternatives ?? {}))
    content[type] = { schema: { type: 'string', description } };
  return Object.keys(content).length > 0
    ? { description: doc.description, content }
    : { description: doc.description };
}

function operationId(r: Route): string {
  const words = r.path
    .split(/[/{}._-]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1));
  return `${r.method}${words.join('')}`;
}

export function buildOpenApi(routes: readonly Route[]): Record<string, unknown> {
  const generated = z.toJSONSchema(apiSchemas, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  }).schemas as Record<string, JsonSchema>;
  const schemas: Record<string, JsonSchema> = {};
  for (const [id, s] of Object.entries(generated)) {
    const { $schema: _s, $id: _i, ...rest } = s;
    schemas[id] = rest;
  }

  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const where = `${r.method.toUpperCase()} ${r.path}`;
    const pathParams = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    const parameters: Record<string, unknown>[] = pathParams.map((name) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string', minLength: 1 },
    }));
    if (r.query) {
      const q = schemas[componentId(r.query, `${where} query`)]!;
      for (const [name, schema] of Object.entries(q.properties ?? {})) {
        const { description, ...rest } = schema;
        parameters.push({
          name,
          in: 'query',
          required: q.required?.includes(name) ?? false,
          ...(description === undefined ? {} : { description }),
          schema: rest,
        });
      }
    }
    const responses: Record<string, unknown> = {};
    for (const [status, doc] of Object.entries(r.responses))
      responses[status] = responseObject(Number(status), doc);
    const common: number[] = [500];
    if (r.query || r.body || pathParams.length > 0) common.push(400);
    if (r.access !== 'public') common.push(401, 403);
    if (pathParams.length > 0) common.push(404);
    if (r.body) common.push(413, 415);
    for (const status of common)
      responses[status] ??= {
        description: COMMON_ERRORS[status],
        content: { 'application/json': { schema: REF('Error') } },
      };
    const op: Record<string, unknown> = {
      operationId: operationId(r),
      tags: [r.tag],
      summary: r.summary,
      ...(r.description === undefined ? {} : { description: r.description }),
      security: r.access === 'public' ? [] : [{ bearer: [] }],
      ...(r.access === 'public' ? {} : { 'x-bursar-access': r.access }),
      parameters,
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: REF(componentId(r.body.schema, `${where} body`)) } },
            },
          }
        : {}),
      responses,
    };
    (paths[r.path] ??= {})[r.method] = op;
  }

  return {
    openapi: '3.1.0',
    info: { title: 'bursar REST API', version: '1', description: DESCRIPTION },
    servers: [{ url: '/' }],
    tags: [
      { name: 'enforcement', description: 'check, reserve, commit, release' },
      { name: 'usage', description: 'record and read usage' },
      { name: 'budgets', description: 'budgets, status, history, overrides' },
      { name: 'reports', description: 'summary and optimization reports' },
      { name: 'prices', description: 'the price catalog' },
      { name: 'service', description: 'health, readiness, this document' },
    ],
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key from the service configuration.' },
      },
    },
  };
}
