import type { Attributes, BatchObservableResult, Meter, Observable } from '@opentelemetry/api';

/**
 * Running totals behind bursar's counters, kept per attribute set and reported as
 * observable (asynchronous) counters when a reader collects. A synchronous counter's
 * `add()` makes the OTel SDK sort and JSON-hash the attribute set on every call (about
 * 1 µs with GenAI attributes); here a call adds to a number found by the identity of the
 * cached attribute object, and the SDK sees each set once per collection. The exported
 * data are the same monotonic sums, so this is the pattern the metrics API provides for
 * totals the instrumentation keeps itself.
 */
export interface CounterTotal {
  readonly attrs: Attributes;
  /** One slot per counter, in the order the counters were registered. */
  readonly values: number[];
}

/**
 * Beyond this many distinct attribute sets, further ones are summed under the overflow
 * set: with it, exactly the SDK's default cardinality limit (2000), so the SDK keeps
 * every point as given.
 */
const MAX_SETS = 1999;
const OVERFLOW: Attributes = Object.freeze({ 'otel.metric.overflow': true });

export class CounterTotals {
  readonly #counters: Observable[] = [];
  /** By attribute object (the caches hand out one object per set): the hot-path lookup. */
  readonly #byObject = new WeakMap<Attributes, CounterTotal>();
  /** By content: a set rebuilt after a cache eviction keeps adding to the same total. */
  readonly #byContent = new Map<string, CounterTotal>();

  /** Registers an observable counter; returns its slot for `add()`. */
  counter(meter: Meter, name: string, options: Parameters<Meter['createObservableCounter']>[1]): number {
    this.#counters.push(meter.createObservableCounter(name, options));
    return this.#counters.length - 1;
  }

  /** Starts reporting; call once every counter is registered. */
  observe(meter: Meter): void {
    meter.addBatchObservableCallback((r: BatchObservableResult) => {
      for (const total of this.#byContent.values()) {
        for (let i = 0; i < total.values.length; i++) {
          // A counter never incremented for a set has no point for it (as with add()).
          if (total.values[i] !== 0) r.observe(this.#counters[i]!, total.values[i]!, total.attrs);
        }
      }
    }, this.#counters);
  }

  /** The totals of an attribute set (found once by content, then by identity). */
  totalFor(attrs: Attributes): CounterTotal {
    let total = this.#byObject.get(attrs);
    if (total) return total;
    const key = JSON.stringify(Object.entries(attrs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    total = this.#byContent.get(key);
    if (!total) {
      const full = this.#byContent.size >= MAX_SETS;
      const k = full ? JSON.stringify(Object.entries(OVERFLOW)) : key;
      total = this.#byContent.get(k) ?? {
        attrs: full ? OVERFLOW : attrs,
        values: new Array<number>(this.#counters.length).fill(0),
      };
      this.#byContent.set(k, total);
    }
    this.#byObject.set(attrs, total);
    return total;
  }
}
