import { callSchema, fastCall } from '../../../budget/requests.ts';
import { budgetFilter, confineScope } from '../access.ts';
import { decisionSchema, decisionView } from '../decision-view.ts';
import { sendJson } from '../respond.ts';
import { type ApiDeps, defineRoute, fastBody, named, type Route } from '../route.ts';

named(
  'CheckRequest',
  callSchema,
  'Who the call is for (scope labels: tenant, project, agent, component, session, user and configured custom labels), what it is (provider as gen_ai.provider.name, model, operation, tool), and what it is expected to use: estimate.inputTokens/outputTokens are priced with the catalog, or estimate.costUsd states the cost.',
);

/** POST /v1/check: the decision a reservation would get now; holds nothing. */
export function checkRoutes({ engine }: ApiDeps): Route[] {
  const specOf = (id: string) => engine.budget(id)?.spec;
  return [
    defineRoute({
      method: 'post',
      path: '/v1/check',
      access: 'use',
      tag: 'enforcement',
      summary: 'Decide whether a call may go ahead, without holding anything',
      description:
        'Matches the call (scope labels, provider, model, operation, tool) against every budget and prices the estimate with the price catalog. A tenant key may leave scope.tenant out (its tenant is used) or name its own tenant; any other tenant is 403. Every matching budget decides, but a tenant key is shown only the budgets it may read: a budget shared with other tenants appears as a reason line without figures.',
      body: fastBody(fastCall),
      responses: { 200: { description: 'The decision (also when it is deny).', schema: decisionSchema } },
      async handle({ res, principal, body }) {
        const scope = confineScope(principal, body.scope);
        const decision = await engine.checkCall(scope === body.scope ? body : { ...body, scope });
        sendJson(res, 200, decisionView(decision, budgetFilter(principal, specOf)));
      },
    }),
  ];
}
