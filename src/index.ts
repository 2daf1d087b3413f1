// Public API of the `bursar` package.

export { type Breakdown, breakdown } from './budget/breakdown.ts';
export { type BudgetSpec, type BudgetSpecInput, POLICIES, RESOURCES } from './budget/budget-spec.ts';
export type { BudgetDecision, Decision, DecisionKind } from './budget/decision.ts';
export {
  BudgetEngine,
  type CommitResult,
  type EngineOptions,
  type Pricer,
  type ReserveResult,
} from './budget/engine.ts';
export type { BudgetEvent, BudgetEventType } from './budget/events.ts';
export { deleteOverride, listOverrides, setOverride } from './budget/overrides.ts';
export { PERIODS, type Period, periodWindow } from './budget/period.ts';
export { type BudgetStatus, type StatusReport, snapshotHistory, statusReport } from './budget/status.ts';
export { PriceCatalog } from './pricing/catalog.ts';
export { type CostResult, computeCost } from './pricing/cost.ts';
export { formatUsd, type ModelPrice } from './pricing/price.ts';
export { MemoryStore } from './store/memory-store.ts';
export { SqliteStore } from './store/sqlite-store.ts';
export type { Store } from './store/store.ts';
export { fromAnthropicUsage, mergeAnthropicStreamUsage } from './usage/from-anthropic.ts';
export { fromGeminiUsage } from './usage/from-gemini.ts';
export {
  fromOpenAIChatUsage,
  fromOpenAIEmbeddingsUsage,
  fromOpenAIResponsesUsage,
} from './usage/from-openai.ts';
export type { TokenUsage } from './usage/token-usage.ts';
export { type PricedRecord, parseUsageRecord, type UsageRecord } from './usage/usage-record.ts';
export { ValidationError } from './validation/errors.ts';
// For webhook receivers: check the bursar-signature header of a delivery. Imported from the
// signature module itself, which needs only node:crypto (not the service's webhook sender).
export {
  EVENT_HEADER,
  ID_HEADER,
  SIGNATURE_HEADER,
  verifySignature,
} from './service/events/webhook-signature.ts';

// Instrumentation
export { instrument, type InstrumentOptions } from './instrumentation/instrument.ts';
export { withBudgetScope, currentScope } from './instrumentation/scope.ts';
export {
  BursarInstrumentation,
  type BursarInstrumentationConfig,
} from './instrumentation/bursar-instrumentation.ts';
export { configureTelemetry, getTelemetry } from './instrumentation/default-telemetry.ts';
export { GenAiTelemetry } from './instrumentation/telemetry.ts';
export {
  BudgetExceededError,
  BudgetUnavailableError,
  Guard,
  type BudgetBackend,
  type GuardOptions,
} from './instrumentation/guard.ts';
export {
  ServiceBackend,
  type ServiceBackendOptions,
  ServiceUnavailableError,
} from './instrumentation/service-backend.ts';
export { MissingUsageError } from './instrumentation/call.ts';
export { UsageTracker, type TrackerOptions } from './instrumentation/tracker.ts';
export { traceTool } from './instrumentation/tool.ts';
export { getAdapter, type Adapter, type StandardUsage } from './instrumentation/unified-adapter.ts';
