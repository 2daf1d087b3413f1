/**
 * Which groups of each grouped budget get gauge series of their own: at most `max` per
 * budget at a time, the rest summed into one `__overflow__` series. A group that had a
 * slot at the previous scrape keeps it, so series stay stable; the slots of groups that
 * are gone (a new period started, a session ended) go to new groups in store order, so
 * churn never leaves a budget with nothing but overflow.
 */
export class GroupSlots {
  readonly #max: number;
  readonly #admitted = new Map<string, Set<string>>();

  constructor(max: number) {
    this.#max = max;
  }

  /** The groups among this scrape's `groups` of one budget that get their own series. */
  admit(budgetId: string, groups: readonly string[]): ReadonlySet<string> {
    const before = this.#admitted.get(budgetId);
    const now = new Set<string>();
    if (before) for (const g of groups) if (before.has(g)) now.add(g);
    for (const g of groups) {
      if (now.size >= this.#max) break;
      now.add(g);
    }
    this.#admitted.set(budgetId, now);
    return now;
  }

  /** Forgets budgets that no longer exist. */
  retain(budgetIds: ReadonlySet<string>): void {
    for (const id of this.#admitted.keys()) if (!budgetIds.has(id)) this.#admitted.delete(id);
  }
}
