import { type Attributes, type Histogram, type Meter, ValueType } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_TOKEN_TYPE,
  GEN_AI_TOKEN_TYPE,
  METRIC_BURSAR_CLIENT_COST,
  METRIC_BURSAR_CLIENT_USAGE_MISSING,
  METRIC_GEN_AI_CLIENT_INFERENCE_USAGE,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TIME_PER_OUTPUT_CHUNK,
  METRIC_GEN_AI_CLIENT_TIME_TO_FIRST_CHUNK,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  OPERATION_DURATION_BUCKETS,
  TOKEN_USAGE_BUCKETS,
} from '../semconv.ts';
import type { TokenUsage } from '../usage/token-usage.ts';
import { CounterTotals } from './counter-totals.ts';

/**
 * The GenAI client instruments, recorded from the response itself (never read back
 * from spans), so they survive trace sampling. Attribute sets are cached per distinct
 * combination and reused: building and hashing a fresh object per call would cost
 * more than the recording. The OTel SDK still hashes the set on every histogram
 * record (about 1 µs each), so a call makes only the records the spec asks for —
 * its duration and its input and output tokens — and the counters (cost, missing
 * usage, the development usage counters) are running totals reported at collection.
 */
export class GenAiMetrics {
  readonly #tokenUsage: Histogram;
  readonly #duration: Histogram;
  readonly #ttfc: Histogram;
  readonly #perChunk: Histogram;
  readonly #totals = new CounterTotals();
  readonly #cost: number;
  readonly #missing: number;
  readonly #dev: Record<keyof typeof METRIC_GEN_AI_CLIENT_INFERENCE_USAGE, number> | undefined;
  /** Per attribute set, found by identity: its token-type sets and its running totals. */
  readonly #bySet = new WeakMap<Attributes, PerSet>();

  constructor(meter: Meter, latestExperimental: boolean, perChunk = false) {
    this.#tokenUsage = meter.createHistogram(METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
      description: 'Number of input and output tokens used.',
      unit: '{token}',
      valueType: ValueType.INT,
      advice: { explicitBucketBoundaries: [...TOKEN_USAGE_BUCKETS] },
    });
    this.#duration = meter.createHistogram(METRIC_GEN_AI_CLIENT_OPERATION_DURATION, {
      description: 'GenAI operation duration.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...OPERATION_DURATION_BUCKETS] },
    });
    this.#ttfc = meter.createHistogram(METRIC_GEN_AI_CLIENT_TIME_TO_FIRST_CHUNK, {
      description: 'Time to receive the first chunk of a streamed response.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...OPERATION_DURATION_BUCKETS] },
    });
    this.#perChunk = meter.createHistogram(METRIC_GEN_AI_CLIENT_TIME_PER_OUTPUT_CHUNK, {
      description: perChunk
        ? 'Time between consecutive chunks of a streamed response, one point per chunk after the first.'
        : 'Mean time between consecutive chunks of a streamed response, one point per stream.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...OPERATION_DURATION_BUCKETS] },
    });
    const totals = this.#totals;
    this.#cost = totals.counter(meter, METRIC_BURSAR_CLIENT_COST, {
      description: 'Cost of GenAI calls priced from the bursar price catalog, in integer nano-USD.',
      unit: '{nanoUSD}',
      valueType: ValueType.INT,
    });
    this.#missing = totals.counter(meter, METRIC_BURSAR_CLIENT_USAGE_MISSING, {
      description: 'GenAI calls whose response carried no usage: counted, never estimated.',
      unit: '{call}',
      valueType: ValueType.INT,
    });
    if (latestExperimental) {
      const c = (name: string, description: string) =>
        totals.counter(meter, name, { description, unit: '{token}', valueType: ValueType.INT });
      const n = METRIC_GEN_AI_CLIENT_INFERENCE_USAGE;
      this.#dev = {
        input: c(n.input, 'Input tokens, cache included.'),
        output: c(n.output, 'Output tokens, reasoning included.'),
        cacheRead: c(n.cacheRead, 'Input tokens served from a provider cache.'),
        cacheWrite: c(n.cacheWrite, 'Input tokens written to a provider cache.'),
        reasoning: c(n.reasoning, 'Output tokens spent on reasoning.'),
      };
    }
    totals.observe(meter);
  }

  #perSet(attrs: Attributes): PerSet {
    let set = this.#bySet.get(attrs);
    if (!set) {
      set = {
        input: Object.freeze({ ...attrs, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE.INPUT }),
        output: Object.freeze({ ...attrs, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE.OUTPUT }),
        totals: this.#totals.totalFor(attrs).values,
      };
      this.#bySet.set(attrs, set);
    }
    return set;
  }

  /** `attrs` must come from an AttributeCache so that it is reused across calls. */
  record(
    attrs: Attributes,
    durationS: number,
    usage: TokenUsage | undefined,
    costNanoUsd: number | undefined,
  ): void {
    this.#duration.record(durationS, attrs);
    const t = this.#perSet(attrs);
    const totals = t.totals;
    if (!usage) totals[this.#missing]! += 1;
    else {
      this.#tokenUsage.record(usage.input, t.input);
      this.#tokenUsage.record(usage.output, t.output);
      const dev = this.#dev;
      if (dev) {
        totals[dev.input]! += usage.input;
        totals[dev.output]! += usage.output;
        totals[dev.cacheRead]! += usage.cacheRead;
        totals[dev.cacheWrite]! += usage.cacheWrite;
        totals[dev.reasoning]! += usage.reasoning;
      }
    }
    if (costNanoUsd) totals[this.#cost]! += costNanoUsd;
  }

  timeToFirstChunk(attrs: Attributes, seconds: number): void {
    this.#ttfc.record(seconds, attrs);
  }

  timePerChunk(attrs: Attributes, seconds: number): void {
    this.#perChunk.record(seconds, attrs);
  }
}

interface PerSet {
  input: Attributes;
  output: Attributes;
  totals: number[];
}

type Trie = Map<string | number | undefined, Trie | Attributes>;

/**
 * Reuses one frozen attribute object per distinct tuple of values. The tuple is looked
 * up value by value in nested maps: the strings are the caller's own (their hashes are
 * cached), where joining them into one key would build and hash a new string per call.
 */
export class AttributeCache {
  #root: Trie = new Map();
  #size = 0;
  readonly #max: number;
  constructor(max = 2000) {
    this.#max = max;
  }
  get(values: readonly (string | number | undefined)[], build: () => Attributes): Attributes {
    let node = this.#root;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      let next = node.get(values[i]) as Trie | undefined;
      if (!next) node.set(values[i], (next = new Map()));
      node = next;
    }
    let attrs = node.get(values[last]) as Attributes | undefined;
    if (!attrs) {
      attrs = Object.freeze(build());
      if (this.#size >= this.#max) {
        this.#root = new Map();
        this.#size = 0;
        return this.get(values, () => attrs!);
      }
      node.set(values[last], attrs);
      this.#size += 1;
    }
    return attrs;
  }
}
