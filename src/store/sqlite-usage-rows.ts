import type { PricedRecord } from '../usage/usage-record.ts';
import { extraJson } from './sqlite-usage-row.ts';

/**
 * A batch's usage_rows rows, packed for the trip to the writer thread: the 17 numbers of
 * each row in one Float64Array (transferred, not copied; NaN stands for NULL) and its two
 * strings (id, extra) in a plain array. A flat JS array of the same values cost ~0.4 µs
 * per row to clone, and a heap allocation for every number that is not a small integer
 * (nano-dollar costs, durations).
 *
 * Every number is exact in a double: counts and costs are integers below 2^53
 * (assertStorable() checks they are finite; the engine keeps money in safe integers).
 */

/** Numbers per row, in ROW_COLUMNS order after `id` (skipping the final `extra`). */
export const ROW_NUMBERS = 17;

export interface PackedRows {
  count: number;
  /** count × ROW_NUMBERS values; its buffer may be longer. */
  numbers: Float64Array;
  /** id, extra (or null) per row. */
  strings: (string | null)[];
}

export class UsageRowsBuilder {
  #numbers = new Float64Array(256 * ROW_NUMBERS);
  #strings: (string | null)[] = [];
  #count = 0;

  get count(): number {
    return this.#count;
  }

  push(r: PricedRecord, dimsId: number): void {
    let n = this.#numbers;
    let i = this.#count * ROW_NUMBERS;
    if (i + ROW_NUMBERS > n.length) {
      const grown = new Float64Array(n.length * 2);
      grown.set(n);
      this.#numbers = n = grown;
    }
    const { usage, cost } = r;
    const bd = cost.breakdownNanoUsd;
    n[i++] = r.time;
    n[i++] = dimsId;
    n[i++] = usage.input;
    n[i++] = usage.output;
    n[i++] = usage.cacheRead;
    n[i++] = usage.cacheWrite;
    n[i++] = usage.cacheWrite1h;
    n[i++] = usage.reasoning;
    n[i++] = r.durationMs;
    n[i++] = cost.nanoUsd;
    n[i++] = cost.computedNanoUsd ?? NaN;
    n[i++] = cost.providerNanoUsd ?? NaN;
    n[i++] = bd.input;
    n[i++] = bd.output;
    n[i++] = bd.cacheRead;
    n[i++] = bd.cacheWrite;
    n[i] = bd.reasoning;
    this.#strings.push(r.id, extraJson(r));
    this.#count += 1;
  }

  /** The rows so far; the builder must not be used after. */
  pack(): PackedRows {
    return { count: this.#count, numbers: this.#numbers, strings: this.#strings };
  }
}

/** Appends row `i` of `rows` to `out` as bind values in ROW_COLUMNS order (writer thread). */
export function appendBindValues(out: unknown[], rows: PackedRows, i: number): void {
  const n = rows.numbers;
  const base = i * ROW_NUMBERS;
  out.push(rows.strings[2 * i]);
  for (let k = 0; k < ROW_NUMBERS; k++) {
    const v = n[base + k]!;
    out.push(v === v ? v : null);
  }
  out.push(rows.strings[2 * i + 1]);
}
