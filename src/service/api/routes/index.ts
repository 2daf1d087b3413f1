import type { ApiDeps, Route } from '../route.ts';
import { budgetRoutes } from './budgets.ts';
import { checkRoutes } from './check.ts';
import { optimizeRoutes } from './optimize.ts';
import { overrideRoutes } from './overrides.ts';
import { priceRoutes } from './prices.ts';
import { reportRoutes } from './reports.ts';
import { reservationRoutes } from './reservations.ts';
import { statusRoutes } from './status.ts';
import { usageRoutes } from './usage.ts';

/** Every /v1 route, in the order /openapi.json lists them. */
export function apiRoutes(deps: ApiDeps): Route[] {
  return [
    ...checkRoutes(deps),
    ...reservationRoutes(deps),
    ...usageRoutes(deps),
    ...budgetRoutes(deps),
    ...statusRoutes(deps),
    ...overrideRoutes(deps),
    ...reportRoutes(deps),
    ...optimizeRoutes(deps),
    ...priceRoutes(deps),
  ];
}
