import { PriceCatalog } from '../pricing/catalog.ts';
import type { InstrumentationSettings } from './settings.ts';
import { GenAiTelemetry } from './telemetry.ts';

/**
 * The process-wide telemetry used by `instrument(client)`, the auto-instrumentation
 * and the register entry point, so that every path shares one price catalog, one set
 * of metric instruments and one list of usage listeners.
 */
let shared: GenAiTelemetry | undefined;

export function getTelemetry(): GenAiTelemetry {
  shared ??= new GenAiTelemetry(new PriceCatalog());
  return shared;
}

/** Replaces the shared telemetry's settings; call before the first instrumented call. */
export function configureTelemetry(settings: Partial<InstrumentationSettings>): GenAiTelemetry {
  shared = new GenAiTelemetry(shared?.pricer ?? new PriceCatalog(), settings);
  return shared;
}
