import { AsyncLocalStorage } from 'node:async_hooks';
import { context, propagation } from '@opentelemetry/api';
import { ATTR_BURSAR_SCOPE_PREFIX } from '../semconv.ts';
import type { Scope } from '../usage/scope.ts';

/**
 * The budget scope of the code running now (tenant, agent, session, …). Held in
 * AsyncLocalStorage so it works with or without an OpenTelemetry SDK, and mirrored
 * into OTel baggage so it travels to other processes with the trace context.
 */
const storage = new AsyncLocalStorage<Scope>();
const EMPTY: Scope = Object.freeze({});

export function currentScope(): Scope {
  return storage.getStore() ?? EMPTY;
}

/** Runs `fn` with `scope` merged over the enclosing scope. */
export function withBudgetScope<T>(scope: Scope, fn: () => T): T {
  const merged = { ...currentScope(), ...scope };
  let baggage = propagation.getActiveBaggage() ?? propagation.createBaggage();
  for (const [k, v] of Object.entries(scope))
    baggage = baggage.setEntry(`${ATTR_BURSAR_SCOPE_PREFIX}${k}`, { value: v });
  return storage.run(merged, () => context.with(propagation.setBaggage(context.active(), baggage), fn));
}
