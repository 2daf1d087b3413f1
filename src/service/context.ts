import type { BudgetEngine } from '../budget/engine.ts';
import type { PriceCatalog } from '../pricing/catalog.ts';
import type { KeyRing } from './auth/key-ring.ts';
import type { ServiceConfig } from './config/config-schema.ts';
import type { Logger } from './log.ts';
import type { ServiceStats } from './service-stats.ts';

/** What every receiver and exporter is built from. Wiring only: the logic is in the engine. */
export interface ServiceContext {
  readonly config: ServiceConfig;
  readonly engine: BudgetEngine;
  readonly catalog: PriceCatalog;
  readonly keys: KeyRing;
  readonly log: Logger;
  readonly stats: ServiceStats;
}
