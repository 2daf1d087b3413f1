import { randomUUID } from 'node:crypto';
import {
  type Attributes,
  type MeterProvider,
  type TracerProvider,
  metrics,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import type { Pricer } from '../budget/engine.ts';
import {
  ATTR_BURSAR_COST_USD,
  ATTR_BURSAR_USAGE_SOURCE,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
} from '../semconv.ts';
import type { Scope } from '../usage/scope.ts';
import { ZERO_USAGE } from '../usage/token-usage.ts';
import type { PricedRecord } from '../usage/usage-record.ts';
import type { GenAiRequest, GenAiResult } from './call.ts';
import type { Admission, Guard } from './guard.ts';
import { MetricAttributes } from './metric-attributes.ts';
import { GenAiMetrics } from './metrics.ts';
import { requestAttributes } from './request-attributes.ts';
import { currentScope } from './scope.ts';
import { type InstrumentationSettings, settingsFrom } from './settings.ts';

/** Receives every usage record the instrumentation produces (the tracker, the guard). */
export type RecordListener = (record: PricedRecord, call: CallTracker) => void;

const NANO = 1e9;

/**
 * Turns provider calls into GenAI spans, metric points and usage records. Adapters
 * call `start()` when a call is made and `end()` exactly once on every way out
 * (CallTracker makes the second and later calls no-ops).
 */
export class GenAiTelemetry {
  readonly settings: InstrumentationSettings;
  readonly pricer: Pricer;
  /** Reserve-before, commit-after budget enforcement; off unless set. */
  guard: Guard | undefined;
  readonly #listeners = new Set<RecordListener>();
  readonly #attrs: MetricAttributes;
  #tracer: Tracer | undefined;
  #metrics: { provider: unknown; m: GenAiMetrics } | undefined;

  constructor(pricer: Pricer, settings: Partial<InstrumentationSettings> = {}) {
    this.pricer = pricer;
    this.settings = settingsFrom(settings);
    this.#attrs = new MetricAttributes(this.settings.metricScopeLabels);
    this.#tracerProvider = this.settings.tracerProvider;
    this.#meterProvider = this.settings.meterProvider;
  }

  get tracer(): Tracer {
    // A ProxyTracer follows a provider registered after patching (NodeSDK.start() later).
    const tracer = this.#tracer ?? this.#tracerProvider?.getTracer('bursar') ?? trace.getTracer('bursar');
    this.#tracer = tracer;
    return tracer;
  }

  #tracerProvider: TracerProvider | undefined;
  #meterProvider: MeterProvider | undefined;

  /** Providers handed over by an OTel SDK (NodeSDK calls this through the instrumentation class). */
  useProviders(p: { tracerProvider?: TracerProvider; meterProvider?: MeterProvider }): void {
    if (p.tracerProvider) {
      this.#tracerProvider = p.tracerProvider;
      this.#tracer = undefined;
    }
    if (p.meterProvider) this.#meterProvider = p.meterProvider;
  }

  /** Metric instruments for the current global MeterProvider (recreated if it changes). */
  get metrics(): GenAiMetrics {
    const provider = this.#meterProvider ?? metrics.getMeterProvider();
    if (this.#metrics?.provider !== provider) {
      this.#metrics = {
        provider,
        m: new GenAiMetrics(
          provider.getMeter('bursar'),
          this.settings.latestExperimental,
          this.settings.chunkTimings === 'per-chunk',
        ),
      };
    }
    return this.#metrics.m;
  }

  onRecord(listener: RecordListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #beforeFirst: (() => void) | undefined;

  /** Runs `fn` once, just before the first call is recorded (the register entry starts an SDK there). */
  beforeFirstCall(fn: () => void): void {
    this.#beforeFirst = fn;
  }

  start(req: GenAiRequest): CallTracker {
    if (this.#beforeFirst) {
      const fn = this.#beforeFirst;
      this.#beforeFirst = undefined;
      fn();
    }
    const scope = currentScope();
    const span = this.tracer.startSpan(`${req.operation} ${req.model}`, {
      kind: SpanKind.CLIENT,
      attributes: requestAttributes(req, scope, this.settings.captureContent),
    });
    return new CallTracker(this, req, span, scope);
  }

  /** Frozen metric attributes, reused for every call with the same values. */
  metricAttributes(
    req: GenAiRequest,
    responseModel: string | undefined,
    errorType: string | undefined,
    scope: Scope,
  ): Attributes {
    return this.#attrs.get(req, responseModel, errorType, scope);
  }

  emit(record: PricedRecord, call: CallTracker): void {
    for (const l of this.#listeners) {
      try {
        l(record, call);
      } catch (error) {
        console.error('bursar: usage listener failed:', error);
      }
    }
  }
}

/** The low-cardinality error.type of a failure: the HTTP status when there is one, else the class name. */
export function errorType(error: unknown): string {
  if (error && typeof error === 'object') {
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number') return String(status);
    const name = (error as { name?: unknown }).name;
    if (
      name === 'AbortError' ||
      (error as { constructor?: { name?: string } }).constructor?.name === 'APIUserAbortError'
    ) {
      return 'cancelled';
    }
    if (typeof name === 'string' && name !== 'Error') return name;
    return (error as { constructor?: { name?: string } }).constructor?.name ?? '_OTHER';
  }
  return '_OTHER';
}

/**
 * Record ids for calls whose span is not recorded (sampled out, or no OTel SDK): a random
 * prefix per process and a counter, unique across processes as a UUID per call would be,
 * without drawing random bytes for every call.
 */
const UNSAMPLED_PREFIX = randomUUID();
let unsampledSeq = 0;
function unsampledRecordId(): string {
  unsampledSeq += 1;
  return `${UNSAMPLED_PREFIX}:${unsampledSeq.toString(36)}`;
}

/** Shared by every call without a reservation: nothing to wait for. */
const SETTLED: Promise<void> = Promise.resolve();

/** One provider call in flight. `end()` takes effect once. */
export class CallTracker {
  readonly request: GenAiRequest;
  readonly span: Span;
  readonly scope: Scope;
  readonly #t: GenAiTelemetry;
  readonly #start = performance.now();
  #firstChunk = 0;
  #lastChunk = 0;
  #chunks = 0;
  #chunkAttrs: Attributes | undefined;
  readonly #perChunk: boolean;
  #ended = false;
  /** The record this call produced, once ended. */
  record: PricedRecord | undefined;
  /** The guard's reservation for this call, when a guard admitted it. */
  admission: Admission | undefined;
  /** Resolves once the guard has committed or released this call's reservation. */
  settled: Promise<void> = SETTLED;

  constructor(t: GenAiTelemetry, request: GenAiRequest, span: Span, scope: Scope) {
    this.#t = t;
    this.request = request;
    this.span = span;
    this.scope = scope;
    this.#perChunk = t.settings.chunkTimings === 'per-chunk';
  }

  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Marks the arrival of a streamed chunk. This runs for every chunk of every stream, so
   * it only takes the time: the time to first chunk (span attribute and metric point) and
   * the mean time per chunk are recorded once, when the call ends, with the rest of the
   * call's attributes and points. Only the opt-in 'per-chunk' timings record here.
   */
  chunk(): void {
    const now = performance.now();
    if (this.#chunks++ === 0) this.#firstChunk = now;
    else if (this.#perChunk)
      this.#t.metrics.timePerChunk(this.#chunkAttributes(), (now - this.#lastChunk) / 1000);
    this.#lastChunk = now;
  }

  /** Chunk metric attributes, looked up once per stream, not once per chunk. */
  #chunkAttributes(): Attributes {
    return (this.#chunkAttrs ??= this.#t.metricAttributes(this.request, undefined, undefined, this.scope));
  }

  /** Time to first chunk, and per stream the mean time between chunks (one point each). */
  #recordChunkTimings(ttfc: number): void {
    const metrics = this.#t.metrics;
    metrics.timeToFirstChunk(this.#chunkAttributes(), ttfc);
    if (this.#chunks < 2 || this.#perChunk) return;
    const mean = (this.#lastChunk - this.#firstChunk) / (this.#chunks - 1) / 1000;
    metrics.timePerChunk(this.#chunkAttributes(), mean);
  }

  /**
   * Ends the span, records the metrics and emits the usage record. `result` holds
   * whatever the provider reported, even on early exit; `error` marks a failure.
   */
  end(result: GenAiResult | undefined, error?: unknown): PricedRecord | undefined {
    if (this.#ended) return undefined;
    this.#ended = true;
    const durationMs = performance.now() - this.#start;
    const span = this.span;
    const req = this.request;
    const err = error === undefined ? undefined : errorType(error);
    // A tool call uses no tokens: zero usage is its real count, not a missing one.
    const isTool = req.toolName !== undefined;
    const usage = isTool ? ZERO_USAGE : result?.usage;
    // One setAttributes call: the SDK validates and copies each batch once.
    const attrs: Attributes = {};
    if (result?.responseId !== undefined) attrs[ATTR_GEN_AI_RESPONSE_ID] = result.responseId;
    if (result?.responseModel !== undefined) attrs[ATTR_GEN_AI_RESPONSE_MODEL] = result.responseModel;
    if (result?.finishReasons?.length) attrs[ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = result.finishReasons;
    if (usage && !isTool) {
      attrs[ATTR_GEN_AI_USAGE_INPUT_TOKENS] = usage.input;
      attrs[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = usage.output;
      if (usage.cacheRead) attrs[ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = usage.cacheRead;
      if (usage.cacheWrite) attrs[ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = usage.cacheWrite;
      if (usage.reasoning) attrs[ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = usage.reasoning;
    }
    if (this.#t.settings.captureContent && result?.output !== undefined) {
      span.setAttribute(ATTR_GEN_AI_OUTPUT_MESSAGES, safeJson(result.output));
    }
    const spanContext = span.spanContext();
    const record: PricedRecord = {
      id: span.isRecording() ? `${spanContext.traceId}:${spanContext.spanId}` : unsampledRecordId(),
      time: Date.now(),
      provider: req.provider,
      operation: req.operation,
      requestModel: req.model,
      usage: usage ?? ZERO_USAGE,
      scope: this.scope,
      durationMs,
      usageSource: usage ? 'provider' : 'missing',
      cost: undefined as never,
    };
    if (result?.responseModel !== undefined) record.responseModel = result.responseModel;
    if (err !== undefined) record.errorType = err;
    if (req.toolName !== undefined) record.toolName = req.toolName;
    if (result?.providerCostNanoUsd !== undefined) record.providerCostNanoUsd = result.providerCostNanoUsd;
    record.cost = this.#t.pricer.price(record);
    attrs[ATTR_BURSAR_USAGE_SOURCE] = record.usageSource;
    if (usage && !record.cost.unpriced) attrs[ATTR_BURSAR_COST_USD] = record.cost.nanoUsd / NANO;
    if (err !== undefined) attrs[ATTR_ERROR_TYPE] = err;
    const ttfc = this.#chunks > 0 ? (this.#firstChunk - this.#start) / 1000 : undefined;
    if (ttfc !== undefined) attrs[ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = ttfc;
    span.setAttributes(attrs);
    if (err !== undefined) {
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
    }
    span.end();
    if (ttfc !== undefined) this.#recordChunkTimings(ttfc);
    const metricAttrs = this.#t.metricAttributes(req, result?.responseModel, err, this.scope);
    this.#t.metrics.record(
      metricAttrs,
      durationMs / 1000,
      usage,
      record.cost.unpriced ? undefined : record.cost.nanoUsd,
    );
    this.record = record;
    this.#t.emit(record, this);
    if (this.admission && this.#t.guard) this.settled = this.#t.guard.settle(this.admission, record);
    return record;
  }
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return '[unserializable]';
  }
}
