import type { CostResult, CostSource } from '../pricing/cost.ts';
import type { PricedRecord, UsageSource } from '../usage/usage-record.ts';

/**
 * The memory store's usage ledger, kept in columns: numbers in growable Float64Arrays,
 * strings interned to small integers. A long-running in-process engine holds hundreds
 * of thousands of records; as objects, every one survives the young generation and
 * the garbage collector copies and marks it again and again. In columns they cost a
 * few bytes each and no collector work. Records are rebuilt only when read.
 */
const NUMBERS = [
  'time',
  'input',
  'output',
  'cacheRead',
  'cacheWrite',
  'cacheWrite1h',
  'reasoning',
  'durationMs',
  'providerCostNanoUsd',
  'nanoUsd',
  'computedNanoUsd',
  'providerNanoUsd',
  'tier',
  'bInput',
  'bOutput',
  'bCacheRead',
  'bCacheWrite',
  'bReasoning',
  'unpriced',
] as const;
const STRINGS = [
  'provider',
  'operation',
  'requestModel',
  'responseModel',
  'toolName',
  'errorType',
  'usageSource',
  'scope',
  'costSource',
  'catalogVersion',
  'priceModel',
] as const;
type NumCol = (typeof NUMBERS)[number];
type StrCol = (typeof STRINGS)[number];

/** Absent optional numbers are stored as NaN; absent strings as index 0. */
const ABSENT = Number.NaN;

const N = Object.fromEntries(NUMBERS.map((c, i) => [c, i])) as Record<NumCol, number>;
const S = Object.fromEntries(STRINGS.map((c, i) => [c, i])) as Record<StrCol, number>;

export class MemoryLedger {
  #size = 0;
  #capacity = 1024;
  readonly #ids: string[] = [];
  readonly #index = new Map<string, number>();
  #num: Float64Array[] = NUMBERS.map(() => new Float64Array(1024));
  #str: Int32Array[] = STRINGS.map(() => new Int32Array(1024));
  /** Interned strings; index 0 is "absent". */
  readonly #strings: (string | undefined)[] = [undefined];
  readonly #interned = new Map<string, number>();
  /** The last scope object seen and its index: consecutive records often share one. */
  #lastScope: object | undefined;
  #lastScopeId = 0;

  get size(): number {
    return this.#size;
  }

  has(id: string): boolean {
    return this.#index.has(id);
  }

  #intern(s: string | undefined): number {
    if (s === undefined) return 0;
    let i = this.#interned.get(s);
    if (i === undefined) {
      i = this.#strings.length;
      this.#strings.push(s);
      this.#interned.set(s, i);
    }
    return i;
  }

  #internScope(scope: object): number {
    // No WeakMap by identity: a key per record would leave the collector an ephemeron
    // table as large as the ledger to trace on every collection.
    if (scope !== this.#lastScope) {
      this.#lastScope = scope;
      this.#lastScopeId = this.#intern(JSON.stringify(scope));
    }
    return this.#lastScopeId;
  }

  #grow(): void {
    this.#capacity *= 2;
    const cap = this.#capacity;
    this.#num = this.#num.map((a) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    });
    this.#str = this.#str.map((a) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    });
  }

  add(r: PricedRecord): void {
    if (this.#size === this.#capacity) this.#grow();
    const i = this.#size++;
    this.#ids.push(r.id);
    this.#index.set(r.id, i);
    const n = this.#num;
    const s = this.#str;
    const u = r.usage;
    const c = r.cost;
    const b = c.breakdownNanoUsd;
    n[N.time]![i] = r.time;
    n[N.input]![i] = u.input;
    n[N.output]![i] = u.output;
    n[N.cacheRead]![i] = u.cacheRead;
    n[N.cacheWrite]![i] = u.cacheWrite;
    n[N.cacheWrite1h]![i] = u.cacheWrite1h;
    n[N.reasoning]![i] = u.reasoning;
    n[N.durationMs]![i] = r.durationMs;
    n[N.providerCostNanoUsd]![i] = r.providerCostNanoUsd ?? ABSENT;
    n[N.nanoUsd]![i] = c.nanoUsd;
    n[N.computedNanoUsd]![i] = c.computedNanoUsd ?? ABSENT;
    n[N.providerNanoUsd]![i] = c.providerNanoUsd ?? ABSENT;
    n[N.tier]![i] = c.tierAboveInputTokens ?? ABSENT;
    n[N.bInput]![i] = b.input;
    n[N.bOutput]![i] = b.output;
    n[N.bCacheRead]![i] = b.cacheRead;
    n[N.bCacheWrite]![i] = b.cacheWrite;
    n[N.bReasoning]![i] = b.reasoning;
    n[N.unpriced]![i] = c.unpriced ? 1 : 0;
    s[S.provider]![i] = this.#intern(r.provider);
    s[S.operation]![i] = this.#intern(r.operation);
    s[S.requestModel]![i] = this.#intern(r.requestModel);
    s[S.responseModel]![i] = this.#intern(r.responseModel);
    s[S.toolName]![i] = this.#intern(r.toolName);
    s[S.errorType]![i] = this.#intern(r.errorType);
    s[S.usageSource]![i] = this.#intern(r.usageSource);
    s[S.scope]![i] = this.#internScope(r.scope);
    s[S.costSource]![i] = this.#intern(c.source);
    s[S.catalogVersion]![i] = this.#intern(c.catalogVersion);
    s[S.priceModel]![i] = this.#intern(c.priceModel);
  }

  /** Row numbers in insertion order. */
  *rows(): Iterable<number> {
    for (let i = 0; i < this.#size; i++) yield i;
  }

  /** The record at a row, rebuilt with exactly the fields it was stored with. */
  get(row: number): PricedRecord {
    const n = (c: NumCol) => this.#num[N[c]]![row]!;
    const opt = (c: NumCol) => (Number.isNaN(n(c)) ? undefined : n(c));
    const s = (c: StrCol) => this.#strings[this.#str[S[c]]![row]!];
    const cost: CostResult = {
      nanoUsd: n('nanoUsd'),
      source: s('costSource') as CostSource,
      unpriced: n('unpriced') === 1,
      catalogVersion: s('catalogVersion')!,
      breakdownNanoUsd: {
        input: n('bInput'),
        output: n('bOutput'),
        cacheRead: n('bCacheRead'),
        cacheWrite: n('bCacheWrite'),
        reasoning: n('bReasoning'),
      },
    };
    if (opt('computedNanoUsd') !== undefined) cost.computedNanoUsd = n('computedNanoUsd');
    if (opt('providerNanoUsd') !== undefined) cost.providerNanoUsd = n('providerNanoUsd');
    if (opt('tier') !== undefined) cost.tierAboveInputTokens = n('tier');
    if (s('priceModel') !== undefined) cost.priceModel = s('priceModel')!;
    const r: PricedRecord = {
      id: this.#ids[row]!,
      time: n('time'),
      provider: s('provider')!,
      operation: s('operation')!,
      requestModel: s('requestModel')!,
      usage: {
        input: n('input'),
        output: n('output'),
        cacheRead: n('cacheRead'),
        cacheWrite: n('cacheWrite'),
        cacheWrite1h: n('cacheWrite1h'),
        reasoning: n('reasoning'),
      },
      scope: JSON.parse(s('scope')!) as Record<string, string>,
      durationMs: n('durationMs'),
      usageSource: s('usageSource') as UsageSource,
      cost,
    };
    if (s('responseModel') !== undefined) r.responseModel = s('responseModel')!;
    if (s('toolName') !== undefined) r.toolName = s('toolName')!;
    if (s('errorType') !== undefined) r.errorType = s('errorType')!;
    if (opt('providerCostNanoUsd') !== undefined) r.providerCostNanoUsd = n('providerCostNanoUsd');
    return r;
  }
}
