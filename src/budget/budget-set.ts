import type { AuditEntry, Store } from '../store/store.ts';
import { ValidationError } from '../validation/errors.ts';
import { type BudgetSpec, parseBudgetSpec, resolveLimits } from './budget-spec.ts';
import { CompiledBudget } from './compiled-budget.ts';
import { type Labels, SelectorIndex } from './selector.ts';

/**
 * The defined budgets: validated as a whole set (parents, cycles) before any change is
 * saved, compiled for the hot path, indexed by selector, with their overrides.
 */
export class BudgetSet {
  readonly #store: Store;
  readonly #now: () => number;
  #specs = new Map<string, BudgetSpec>();
  #budgets = new Map<string, CompiledBudget>();
  #index = new SelectorIndex<CompiledBudget>([]);

  constructor(store: Store, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  async load(): Promise<void> {
    const specs = await this.#store.loadBudgets();
    this.#install(new Map(specs.map((s) => [s.id, s])));
    await this.reloadOverrides();
  }

  all(): CompiledBudget[] {
    return [...this.#budgets.values()];
  }

  get(id: string): CompiledBudget | undefined {
    return this.#budgets.get(id);
  }

  match(labels: Labels): readonly CompiledBudget[] {
    return this.#index.match(labels);
  }

  async put(input: unknown, author: string): Promise<BudgetSpec> {
    const spec = parseBudgetSpec(input);
    const next = new Map(this.#specs);
    next.set(spec.id, spec);
    resolveLimits(next);
    await this.#store.saveBudget(spec, this.#audit('budget.put', spec.id, author, JSON.stringify(spec)));
    this.#install(next);
    await this.reloadOverrides();
    return spec;
  }

  async delete(id: string, author: string): Promise<boolean> {
    if (!this.#specs.has(id)) return false;
    const children = [...this.#specs.values()].filter((s) => s.parent?.id === id).map((s) => s.id);
    if (children.length > 0) {
      throw new ValidationError(
        'id',
        `budget ${id} is the parent of ${children.join(', ')}; delete those first`,
      );
    }
    const next = new Map(this.#specs);
    next.delete(id);
    await this.#store.deleteBudget(id, this.#audit('budget.delete', id, author, ''));
    this.#install(next);
    return true;
  }

  async reloadOverrides(): Promise<void> {
    const all = await this.#store.loadOverrides();
    for (const b of this.#budgets.values()) b.setOverrides(all.filter((o) => o.budgetId === b.id));
  }

  #install(specs: Map<string, BudgetSpec>): void {
    const limits = resolveLimits(specs);
    const compiled = new Map<string, CompiledBudget>();
    for (const [id, spec] of specs) compiled.set(id, new CompiledBudget(spec, limits.get(id) ?? 0));
    this.#specs = specs;
    this.#budgets = compiled;
    this.#index = new SelectorIndex([...compiled.values()]);
  }

  #audit(action: AuditEntry['action'], subject: string, author: string, detail: string): AuditEntry {
    return { time: this.#now(), action, subject, author, detail };
  }
}
