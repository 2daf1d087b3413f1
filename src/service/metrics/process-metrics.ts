import { collectDefaultMetrics, Registry } from 'prom-client';

let shared: Registry | undefined;

/**
 * Gauges prom-client names with a `_total` suffix, which `promtool check metrics` rejects
 * for non-counters. Nothing is lost: `nodejs_active_handles`, `nodejs_active_requests` and
 * `nodejs_active_resources` carry the same counts split by type.
 */
const MISNAMED = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * prom-client's process and Node.js runtime metrics (CPU, memory, handles, GC, event loop
 * lag: `process_*`, `nodejs_*`, the names every Node dashboard expects) in a registry of
 * their own — never prom-client's global one. One per process: these describe the
 * process, and collectDefaultMetrics starts a GC observer and an event-loop monitor that
 * cannot be stopped, so a second service in the same process (tests) reuses them.
 */
export function processRegistry(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
    for (const name of MISNAMED) shared.removeSingleMetric(name);
  }
  return shared;
}
