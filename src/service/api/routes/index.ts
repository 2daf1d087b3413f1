import type { ApiDeps, Route } from '../route.ts';
import { checkRoutes } from './check.ts';
import { reservationRoutes } from './reservations.ts';

/** Every /v1 route, in the order /openapi.json lists them. */
export function apiRoutes(deps: ApiDeps): Route[] {
  return [...checkRoutes(deps), ...reservationRoutes(deps)];
}
