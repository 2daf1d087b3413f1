import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import { parseWith } from '../../validation/errors.ts';
import type { ServiceContext } from '../context.ts';
import { CustomPrices } from '../custom-prices.ts';
import { authorize } from './access.ts';
import { ApiError, toApiError } from './errors.ts';
import { FastDispatch, type RouteRequest, runFast } from './fast-dispatch.ts';
import { readJsonBody } from './json-body.ts';
import { buildOpenApi } from './openapi.ts';
import { sendJson } from './respond.ts';
import type { ApiDeps, Route, RouteCall } from './route.ts';
import { apiRoutes } from './routes/index.ts';
import { healthRoutes } from './routes/health.ts';

/** `/v1/reservations/{id}` → `/v1/reservations/:id` */
function expressPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}

/**
 * The REST API on Express 5. Each route authenticates, validates its query and body with
 * its own schemas (the lean JSON reader, not body-parser) and answers through the raw
 * response; everything that goes wrong becomes `{ error: { code, message, field? } }`.
 */
/** The API's request listener; `express` is the app behind it (every route, for introspection). */
export type ApiHandler = ((req: IncomingMessage, res: ServerResponse) => void) & { express: express.Express };

export function createApiApp(ctx: ServiceContext): ApiHandler {
  const deps: ApiDeps = { ctx, engine: ctx.engine, prices: new CustomPrices(ctx.catalog, ctx.config) };
  let openApiText = '';
  const routes: Route[] = [...healthRoutes(deps, () => openApiText), ...apiRoutes(deps)];
  openApiText = JSON.stringify(buildOpenApi(routes));

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const maxBytes = ctx.config.api.maxBodyBytes;

  const handlerOf = (route: Route) =>
    async function handle(req: RouteRequest & { query?: unknown }, res: ServerResponse) {
      const principal = authorize(ctx.keys, req, route.access);
      const query = route.query ? parseWith(route.query, { ...(req.query as object) }, 'query') : undefined;
      const body = route.body ? route.body.parse(await readJsonBody(req, maxBytes)) : undefined;
      const call: RouteCall<unknown, unknown> = { req, res, principal, query, body };
      await route.handle(call);
    };

  const methods = new Map<string, string[]>();
  for (const route of routes) {
    app[route.method](expressPath(route.path), handlerOf(route));
    const listed = methods.get(route.path) ?? [];
    listed.push(route.method.toUpperCase());
    methods.set(route.path, listed);
  }
  // A known path asked with another method: 405 naming the ones it takes.
  for (const [path, allowed] of methods) {
    app.all(expressPath(path), function methodNotAllowed(req) {
      throw new ApiError(
        405,
        'method_not_allowed',
        `${req.method} is not allowed on ${path}; use ${allowed.join(', ')}`,
        {
          headers: { allow: allowed.join(', ') },
        },
      );
    });
  }
  app.use((req) => {
    throw new ApiError(404, 'not_found', `no route ${req.method} ${req.path}`);
  });
  const onError = (error: unknown, req: IncomingMessage, res: ServerResponse) => {
    const e = toApiError(error);
    if (e.status >= 500)
      ctx.log.error({ err: error, method: req.method, path: req.url?.split('?')[0] }, 'REST request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendJson(res, e.status, e.body(), e.headers);
  };
  app.use((error: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) =>
    onError(error, req, res),
  );
  const fast = new FastDispatch(routes);
  const fastHandlers = new Map(routes.map((r) => [r, handlerOf(r)]));
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const hit = fast.match(req);
    if (hit === undefined) {
      app(req, res);
      return;
    }
    const routeReq = req as RouteRequest;
    routeReq.params = hit.params;
    runFast(routeReq, res, fastHandlers.get(hit.route)!, onError);
  };
  return Object.assign(listener, { express: app });
}
