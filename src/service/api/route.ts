import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { BudgetEngine } from '../../budget/engine.ts';
import { parseWith } from '../../validation/errors.ts';
import type { FastSchema } from '../../validation/fast-schema.ts';
import type { Principal } from '../auth/principal.ts';
import type { ServiceContext } from '../context.ts';
import type { CustomPrices } from '../custom-prices.ts';
import type { Access } from './access.ts';

/**
 * One REST route, described once: the same object registers the Express handler,
 * validates the request with its zod schemas, decides who may call it, and becomes an
 * operation of /openapi.json. A route cannot be served without being documented.
 */

/** Every schema the OpenAPI document names lives here, under its component name. */
export const apiSchemas = z.registry<{ id: string; description?: string }>();

/**
 * Registers a schema as `#/components/schemas/{id}`. The description is for schemas
 * owned elsewhere (the engine's), whose own text is not about HTTP.
 */
export function named<S extends z.ZodType>(id: string, schema: S, description?: string): S {
  apiSchemas.add(schema, description === undefined ? { id } : { id, description });
  return schema;
}

export type Method = 'get' | 'post' | 'put' | 'delete';

export interface ResponseDoc {
  description: string;
  /** A registered (named) schema; absent for bodies that are not JSON. */
  schema?: z.ZodType;
  /** Other media types the route can answer with (e.g. text/csv), described in words. */
  alternatives?: Record<string, string>;
}

export interface BodySpec<B> {
  /** A registered (named) schema: what /openapi.json shows and what `parse` enforces. */
  schema: z.ZodType;
  parse(input: unknown): B;
}

export interface RouteCall<Q, B> {
  req: IncomingMessage & { params: Record<string, string> };
  res: ServerResponse;
  principal: Principal;
  query: Q;
  body: B;
}

export interface RouteDef<Q = unknown, B = unknown> {
  method: Method;
  /** OpenAPI form: `/v1/reservations/{id}/commit`. */
  path: string;
  access: Access;
  tag: string;
  summary: string;
  description?: string;
  /** Query parameters: a registered z.object whose properties become the parameters. */
  query?: z.ZodType<Q>;
  body?: BodySpec<B>;
  /** Success and route-specific error answers; the common errors are added for every route. */
  responses: Record<number, ResponseDoc>;
  handle(call: RouteCall<Q, B>): Promise<void> | void;
}

/** A route with its types erased, as the app and the OpenAPI builder see it. */
export type Route = RouteDef<unknown, unknown>;

export function defineRoute<Q, B>(def: RouteDef<Q, B>): Route {
  return def as unknown as Route;
}

/** A JSON body validated by a zod schema (errors name the field). */
export function jsonBody<S extends z.ZodType>(schema: S, what: string): BodySpec<z.output<S>> {
  return { schema, parse: (input) => parseWith(schema, input, what) };
}

/** A JSON body validated by an engine fast schema (compiled, same zod schema behind it). */
export function fastBody<S extends z.ZodType>(fast: FastSchema<S>): BodySpec<z.output<S>> {
  return { schema: fast.schema, parse: (input) => fast.parse(input) };
}

/** What the route modules are built from. */
export interface ApiDeps {
  ctx: ServiceContext;
  engine: BudgetEngine;
  prices: CustomPrices;
}

/** A path parameter (Express has already decoded it). */
export function param(call: RouteCall<unknown, unknown>, name: string): string {
  return call.req.params[name] ?? '';
}
