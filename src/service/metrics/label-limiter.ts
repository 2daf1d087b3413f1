/** The value reported once a label has used up its distinct values. */
export const OVERFLOW = '__overflow__';

/**
 * Caps the distinct values each label may take on exported series. The first
 * `maxValues` values seen keep their own series for the life of the process; later ones
 * are all reported as `__overflow__`, so a flood of new tenants or session ids can
 * neither grow memory nor blow up Prometheus' series count. Empty values (label absent)
 * pass through without taking a slot.
 */
export class LabelLimiter {
  readonly #maxValues: number;
  readonly #seen = new Map<string, Set<string>>();
  /** Observations reported as `__overflow__`, per label. */
  readonly overflowed = new Map<string, number>();

  constructor(maxValues: number) {
    this.#maxValues = maxValues;
  }

  limit(label: string, value: string): string {
    if (value === '') return value;
    let seen = this.#seen.get(label);
    if (seen === undefined) {
      seen = new Set();
      this.#seen.set(label, seen);
    }
    if (seen.has(value)) return value;
    if (seen.size < this.#maxValues) {
      seen.add(value);
      return value;
    }
    this.overflowed.set(label, (this.overflowed.get(label) ?? 0) + 1);
    return OVERFLOW;
  }
}
