import { z } from 'zod';
import { RedisStore } from '../../../store/redis-store.ts';
import { ApiError } from '../errors.ts';
import { sendJson, sendText } from '../respond.ts';
import { type ApiDeps, defineRoute, named, type Route } from '../route.ts';

const healthResponse = named('Health', z.strictObject({ status: z.literal('ok') }));
const bufferView = z
  .strictObject({
    records: z.number().int().describe('Usage records and commits waiting for Redis.'),
    capacity: z.number().int(),
    replayed: z.number().int().describe('Replayed into Redis since start.'),
    rejected: z.number().int().describe('Refused because the buffer was full.'),
  })
  .describe('Redis store: the fail-open buffer of usage accepted while Redis was unreachable.');
const readyResponse = named(
  'Ready',
  z.strictObject({
    status: z.literal('ready'),
    store: z.enum(['memory', 'sqlite', 'redis']),
    buffer: bufferView.optional(),
  }),
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
        const store = engine.store;
        if (store instanceof RedisStore) {
          // Redis: why it is not ready, and what the fail-open buffer holds, either way.
          const h = await store.health();
          const buffer = {
            records: h.buffered,
            capacity: h.bufferCapacity,
            replayed: h.replayed,
            rejected: h.rejected,
          };
          if (!h.ready)
            throw new ApiError(503, 'not_ready', `the redis store is not usable: ${h.reason ?? 'unknown'}`, {
              extra: { buffer },
            });
          sendJson(res, 200, { status: 'ready', store: store.kind, buffer });
          return;
        }
        const ok = await store.ready().catch(() => false);
        if (!ok)
          throw new ApiError(503, 'not_ready', `the ${store.kind} store is not reachable or not writable`);
        sendJson(res, 200, { status: 'ready', store: store.kind });
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
