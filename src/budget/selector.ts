/**
 * Compiled budget selectors. A selector maps label names to matchers; a budget
 * matches a call when every matcher accepts the call's label value (an empty
 * selector matches every call).
 */
export type Labels = Readonly<Record<string, string | undefined>>;

type ValueTest = (value: string | undefined) => boolean;

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

function compileMatcher(pattern: string): ValueTest {
  if (pattern.startsWith('!')) {
    const inner = compileMatcher(pattern.slice(1));
    return (v) => !inner(v);
  }
  if (pattern === '*') return (v) => v !== undefined;
  if (pattern.includes('*')) {
    const re = globToRegExp(pattern);
    return (v) => v !== undefined && re.test(v);
  }
  return (v) => v === pattern;
}

export interface CompiledSelector {
  readonly labelNames: readonly string[];
  matches(labels: Labels): boolean;
}

export function compileSelector(selector: Readonly<Record<string, string>>): CompiledSelector {
  const tests = Object.entries(selector).map(([name, pattern]) => [name, compileMatcher(pattern)] as const);
  return {
    labelNames: tests.map(([name]) => name),
    matches(labels) {
      for (const [name, test] of tests) if (!test(labels[name])) return false;
      return true;
    },
  };
}

/**
 * Finds the budgets that apply to a call. With a thousand budgets, testing each on
 * every call would dominate `check`; instead the answer is cached per distinct
 * combination of the label values any selector or groupBy looks at, in a bounded map
 * that is rebuilt whenever the budget set changes.
 */
export class SelectorIndex<T extends { selector: CompiledSelector; groupBy: readonly string[] }> {
  readonly #items: readonly T[];
  readonly #keyLabels: readonly string[];
  readonly #cache = new Map<string, readonly T[]>();
  readonly #maxCached: number;

  constructor(items: readonly T[], maxCached = 50_000) {
    this.#items = items;
    const names = new Set<string>();
    for (const item of items) {
      for (const n of item.selector.labelNames) names.add(n);
      for (const n of item.groupBy) names.add(n);
    }
    this.#keyLabels = [...names].sort();
    this.#maxCached = maxCached;
  }

  match(labels: Labels): readonly T[] {
    let key = '';
    for (const name of this.#keyLabels) key += `${labels[name] ?? '\u0001'}\u0000`;
    const hit = this.#cache.get(key);
    if (hit) return hit;
    const found = this.#items.filter((item) => item.selector.matches(labels));
    if (this.#cache.size >= this.#maxCached) this.#cache.clear();
    this.#cache.set(key, found);
    return found;
  }
}
