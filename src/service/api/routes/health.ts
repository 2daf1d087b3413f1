import { z } from 'zod';
import { ApiError } from '../errors.ts';
import { sendJson, sendText } from '../respond.ts';
import { type ApiDeps, defineRoute, named, type Route } from '../route.ts';

const healthResponse = named('Health', z.strictObject({ status: z.literal('ok') }));
const readyResponse = named(
  'Ready',
  z.strictObject({ status: z.literal('ready'), store: z.enum(['memory', 'sqlite', 'redis']) }),
);
const openApiResponse = named(
  'OpenApiDocument',
  z.looseObject({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) }).describe('This document.'),
);

/** Liveness, readiness and the API description: no key needed. */
export function healthRoutes({ engine }: ApiDeps, openApiText: () => string): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/healthz',
      access: 'public',
      tag: 'service',
      summary: 'The process is up',
      responses: { 200: { description: 'Up.', schema: healthResponse } },
      handle({ res }) {
        sendJson(res, 200, { status: 'ok' });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/readyz',
      access: 'public',
      tag: 'service',
      summary: 'The budget store is reachable and writable',
      responses: {
        200: { description: 'Ready.', schema: readyResponse },
        503: { description: 'Not ready (error.code not_ready).' },
      },
      async handle({ res }) {
        const ok = await engine.store.ready().catch(() => false);
        if (!ok)
          throw new ApiError(
            503,
            'not_ready',
            `the ${engine.store.kind} store is not reachable or not writable`,
          );
        sendJson(res, 200, { status: 'ready', store: engine.store.kind });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/openapi.json',
      access: 'public',
      tag: 'service',
      summary: 'This API as OpenAPI 3.1, generated from the schemas that validate requests',
      responses: { 200: { description: 'The OpenAPI document.', schema: openApiResponse } },
      handle({ res }) {
        sendText(res, 200, 'application/json; charset=utf-8', openApiText());
      },
    }),
  ];
}
