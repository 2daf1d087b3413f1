import { NANO_PER_USD } from '../../pricing/price.ts';
import { effectiveModel, type PricedRecord } from '../../usage/usage-record.ts';
import type { LabelLimiter } from './label-limiter.ts';
import { type Series, SeriesFamily } from './series-family.ts';

/**
 * Token types on bursar_tokens_total. As in the GenAI semconv, `input` includes
 * cache_read and cache_write and `output` includes reasoning: input + output is what a
 * `tokens` budget counts, and the cache/reasoning series tell how much of it they were.
 */
const TOKEN_TYPES = ['input', 'output', 'cache_read', 'cache_write', 'reasoning'] as const;

const OUTCOMES = ['success', 'error'] as const;

/** Series of one (provider, model, scope) combination, kept so a record costs a few map lookups. */
interface UsageEntry {
  tokens: (Series | undefined)[];
  cost: Series;
  /** operation → [success, error] series of bursar_requests_total (shared across scopes). */
  requests: Map<string, [Series | undefined, Series | undefined]>;
  unpriced?: Series;
}

/** Label value → the next label's map, the last label's value → the entry. */
type Trie = Map<string, Trie | UsageEntry>;

/**
 * The usage families, fed by `usage_recorded` events: tokens, cost, requests and
 * unpriced tokens. Counts what this process recorded since it started (Prometheus
 * counters: `rate()` and `increase()` handle restarts; replicas are summed).
 */
export class UsageMetrics {
  readonly tokens: SeriesFamily;
  readonly cost: SeriesFamily;
  readonly requests: SeriesFamily;
  readonly unpricedTokens: SeriesFamily;
  readonly #scopeLabels: readonly string[];
  readonly #limiter: LabelLimiter;
  readonly #entries: Trie = new Map();
  readonly #values: string[];

  constructor(scopeLabels: readonly string[], limiter: LabelLimiter) {
    this.#scopeLabels = scopeLabels;
    this.#limiter = limiter;
    this.#values = new Array<string>(2 + scopeLabels.length);
    this.tokens = new SeriesFamily({
      name: 'bursar_tokens_total',
      help: 'Tokens recorded, by token type. input includes cache_read and cache_write; output includes reasoning.',
      type: 'counter',
      labelNames: ['provider', 'model', 'token_type', ...scopeLabels],
    });
    this.cost = new SeriesFamily({
      name: 'bursar_cost_usd_total',
      help: 'Cost of recorded usage in USD (summed exactly in nano-USD).',
      type: 'counter',
      labelNames: ['provider', 'model', ...scopeLabels],
      scale: NANO_PER_USD,
    });
    this.requests = new SeriesFamily({
      name: 'bursar_requests_total',
      help: 'GenAI calls recorded, by operation and outcome (success or error).',
      type: 'counter',
      labelNames: ['provider', 'model', 'operation', 'outcome'],
    });
    this.unpricedTokens = new SeriesFamily({
      name: 'bursar_unpriced_tokens_total',
      help: 'Input and output tokens of calls whose model has no price (their cost is unknown, not zero).',
      type: 'counter',
      labelNames: ['provider', 'model'],
    });
  }

  families(): SeriesFamily[] {
    return [this.tokens, this.cost, this.requests, this.unpricedTokens];
  }

  observe(record: PricedRecord): void {
    const limit = this.#limiter;
    const values = this.#values;
    values[0] = limit.limit('provider', record.provider);
    values[1] = limit.limit('model', effectiveModel(record));
    for (let i = 0; i < this.#scopeLabels.length; i++) {
      const name = this.#scopeLabels[i]!;
      values[2 + i] = limit.limit(name, record.scope[name] ?? '');
    }
    const entry = this.#entry(values);
    const u = record.usage;
    this.#addTokens(entry, 0, u.input, values);
    this.#addTokens(entry, 1, u.output, values);
    this.#addTokens(entry, 2, u.cacheRead, values);
    this.#addTokens(entry, 3, u.cacheWrite, values);
    this.#addTokens(entry, 4, u.reasoning, values);
    entry.cost.value += record.cost.nanoUsd;

    const operation = limit.limit('operation', record.operation);
    const outcome = record.errorType === undefined ? 0 : 1;
    let byOutcome = entry.requests.get(operation);
    if (byOutcome === undefined) {
      byOutcome = [undefined, undefined];
      entry.requests.set(operation, byOutcome);
    }
    const requests = (byOutcome[outcome] ??= this.requests.series([
      values[0]!,
      values[1]!,
      operation,
      OUTCOMES[outcome]!,
    ]));
    requests.value += 1;
    if (record.cost.unpriced) {
      entry.unpriced ??= this.unpricedTokens.series([values[0]!, values[1]!]);
      entry.unpriced.value += u.input + u.output;
    }
  }

  /**
   * The entry of these label values, found by walking one map per label: record strings
   * are looked up as they are (their hashes are cached), no key string is built per record.
   */
  #entry(values: readonly string[]): UsageEntry {
    let node: Trie = this.#entries;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      let next = node.get(values[i]!) as Trie | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(values[i]!, next);
      }
      node = next;
    }
    let entry = node.get(values[last]!) as UsageEntry | undefined;
    if (entry === undefined) {
      entry = { tokens: new Array(TOKEN_TYPES.length), cost: this.cost.series(values), requests: new Map() };
      node.set(values[last]!, entry);
    }
    return entry;
  }

  #addTokens(entry: UsageEntry, type: number, n: number, values: readonly string[]): void {
    if (n === 0) return;
    let s = entry.tokens[type];
    if (s === undefined) {
      s = this.tokens.series([values[0]!, values[1]!, TOKEN_TYPES[type]!, ...values.slice(2)]);
      entry.tokens[type] = s;
    }
    s.value += n;
  }
}
