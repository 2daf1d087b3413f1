import { createHash } from 'node:crypto';
import { effectiveModel, type UsageRecord } from '../usage/usage-record.ts';
import { type CostResult, costOf } from './cost.ts';
import { type LiteLLMImportOptions, type LiteLLMImportSummary, parseLiteLLM } from './litellm.ts';
import { indexKey, modelCandidates } from './model-name.ts';
import type { ModelPrice } from './price.ts';
import { SHIPPED_CATALOG_VERSION, SHIPPED_PRICES } from './shipped-prices.ts';
import { ANY_PROVIDER, assertModelPrice, parseEffectiveDate } from './validate-price.ts';

export type PriceOrigin = 'custom' | 'shipped';

export interface CatalogEntry extends ModelPrice {
  origin: PriceOrigin;
}

export interface PriceCatalogOptions {
  /** The shipped table; default SHIPPED_PRICES. */
  shipped?: readonly ModelPrice[];
  /** User prices (already in catalog units: see parsePriceConfig). They win over shipped ones. */
  custom?: readonly ModelPrice[];
  /** Version of the shipped table; default SHIPPED_CATALOG_VERSION. */
  version?: string;
  /** How many (provider, model) lookups to remember; default 10,000. */
  memoSize?: number;
}

export interface ImportSummary extends LiteLLMImportSummary {
  /** The catalog version after the import. */
  version: string;
}

/** All entries of one model from one provider, oldest effective date first. */
interface Schedule {
  from: number[];
  prices: ModelPrice[];
}

type Accept = (price: ModelPrice) => boolean;

/** How many recent lookups PriceCatalog keeps in front of its memo. */
const RECENT = 8;

function scheduleKey(price: ModelPrice): string {
  return `${indexKey(price.model)}\u0000${price.provider}`;
}

/** Same model, provider and date: a new custom entry with this key replaces the old one. */
function entryKey(price: ModelPrice): string {
  return `${scheduleKey(price)}\u0000${price.effectiveFrom}`;
}

/** One layer of prices (shipped or custom) indexed by every name and alias they answer to. */
class Layer {
  readonly entries: readonly ModelPrice[];
  private readonly byName = new Map<string, ModelPrice[]>();
  private readonly schedules = new Map<string, Schedule>();

  constructor(entries: readonly ModelPrice[]) {
    this.entries = entries;
    const grouped = new Map<string, ModelPrice[]>();
    for (const price of entries) {
      for (const name of [price.model, ...(price.aliases ?? [])]) {
        const key = indexKey(name);
        const listed = this.byName.get(key) ?? [];
        listed.push(price);
        this.byName.set(key, listed);
      }
      const key = scheduleKey(price);
      grouped.set(key, [...(grouped.get(key) ?? []), price]);
    }
    for (const [key, prices] of grouped) {
      const dated = prices
        .map((price) => ({ price, from: parseEffectiveDate(price.effectiveFrom) ?? 0 }))
        .sort((a, b) => a.from - b.from);
      this.schedules.set(key, { from: dated.map((d) => d.from), prices: dated.map((d) => d.price) });
    }
  }

  /** The schedule of the first candidate name listed here with an accepted provider. */
  find(candidates: readonly string[], accept: Accept): Schedule | undefined {
    for (const name of candidates) {
      const first = this.byName.get(name)?.find(accept);
      if (first) return this.schedules.get(scheduleKey(first));
    }
    return undefined;
  }
}

/** The newest entry in force at `at`; before the first effective date, the first entry. */
function inForce(schedule: Schedule, at: number): ModelPrice | undefined {
  let chosen = schedule.prices[0];
  for (let i = 1; i < schedule.prices.length && (schedule.from[i] ?? 0) <= at; i++)
    chosen = schedule.prices[i];
  return chosen;
}

/**
 * Shipped and custom prices, looked up by the model string a call reported.
 *
 * Precedence, first match wins: custom entry for the record's provider; custom entry for any
 * provider (`*`); shipped entry for the record's provider; then any entry of the model from
 * another provider (custom first) — a model served by a cloud or gateway (Vertex, Bedrock,
 * Azure, a self-hosted OpenAI-compatible server) is priced at its maker's list price unless a
 * custom entry says otherwise. Within each step the most specific spelling of the name wins
 * (see modelCandidates), so a listed dated snapshot beats its undated base.
 */
export class PriceCatalog {
  private shipped: Layer;
  private custom: Layer;
  private readonly baseVersion: string;
  private currentVersion: string;
  private readonly memo = new Map<string, Schedule | null>();
  private readonly memoLimit: number;
  /**
   * The last few (provider, model) pairs looked up and their schedules, in front of `memo`:
   * an ingest batch names a handful of models, and comparing the strings it decoded (the
   * same string objects span after span) costs less than building and hashing a memo key.
   */
  private readonly recentProvider: (string | undefined)[] = new Array<string | undefined>(RECENT).fill('');
  private readonly recentModel: string[] = new Array<string>(RECENT).fill('');
  /** undefined marks an empty slot. */
  private readonly recentSchedule: (Schedule | null | undefined)[] = new Array<Schedule | null | undefined>(
    RECENT,
  ).fill(undefined);
  private recentNext = 0;

  constructor(options: PriceCatalogOptions = {}) {
    const shipped = options.shipped ?? SHIPPED_PRICES;
    shipped.forEach((price, i) => {
      assertModelPrice(price, `shipped price ${i} (${price.model})`);
    });
    this.shipped = new Layer(shipped);
    this.custom = new Layer(this.merged([], options.custom ?? []));
    this.baseVersion = options.version ?? SHIPPED_CATALOG_VERSION;
    this.memoLimit = Math.max(1, options.memoSize ?? 10_000);
    this.currentVersion = this.computeVersion();
  }

  /**
   * The shipped table's version, plus a hash of the custom entries when there are any
   * (`2026-11-23+custom.3f2a9c01b7de`): the same prices always give the same version.
   */
  get version(): string {
    return this.currentVersion;
  }

  /** Lookups currently remembered (bounded by memoSize). */
  get memoSize(): number {
    return this.memo.size;
  }

  /** The price in force at `at` (epoch ms, default now) for a model string, or undefined if unpriced. */
  lookup(model: string, provider?: string, at: number = Date.now()): ModelPrice | undefined {
    for (let i = 0; i < RECENT; i++)
      if (this.recentModel[i] === model && this.recentProvider[i] === provider) {
        const recent = this.recentSchedule[i];
        if (recent !== undefined) return recent ? inForce(recent, at) : undefined;
      }
    const schedule = this.schedule(model, provider);
    const slot = this.recentNext;
    this.recentNext = (slot + 1) % RECENT;
    this.recentModel[slot] = model;
    this.recentProvider[slot] = provider;
    this.recentSchedule[slot] = schedule;
    return schedule ? inForce(schedule, at) : undefined;
  }

  /** The schedule of a (provider, model) pair from `memo`, resolved and remembered when new. */
  private schedule(model: string, provider: string | undefined): Schedule | null {
    const key = `${provider ?? ''}\n${model}`;
    let schedule = this.memo.get(key);
    if (schedule === undefined) {
      schedule = this.resolve(model, provider) ?? null;
      // Bounded: model strings come from callers, and a flood of distinct ones must not grow memory.
      if (this.memo.size >= this.memoLimit) {
        const oldest = this.memo.keys().next().value;
        if (oldest !== undefined) this.memo.delete(oldest);
      }
      this.memo.set(key, schedule);
    }
    return schedule;
  }

  /**
   * Cost of one usage record, tagged with this catalog's version. The response model is
   * tried first (it names the snapshot actually served), then the requested model.
   */
  price(record: UsageRecord): CostResult {
    let price = this.lookup(effectiveModel(record), record.provider, record.time);
    if (!price && record.responseModel !== undefined && record.responseModel !== record.requestModel) {
      price = this.lookup(record.requestModel, record.provider, record.time);
    }
    return costOf(record.usage, price, this.currentVersion, record.providerCostNanoUsd);
  }

  /** Adds or replaces (same model, provider and effectiveFrom) a custom price; returns the new version. */
  setCustom(price: ModelPrice): string {
    assertModelPrice(price, `custom price for ${String(price?.model)}`);
    return this.replaceCustom(this.merged(this.custom.entries, [price]));
  }

  /** Removes every custom entry of a model (of one provider, if given); returns how many went. */
  removeCustom(model: string, provider?: string): number {
    const name = indexKey(model);
    const kept = this.custom.entries.filter(
      (p) => !(indexKey(p.model) === name && (provider === undefined || p.provider === provider)),
    );
    const removed = this.custom.entries.length - kept.length;
    if (removed > 0) this.replaceCustom(kept);
    return removed;
  }

  /** Every entry, custom first, each marked with where it came from. */
  list(): CatalogEntry[] {
    return [
      ...this.custom.entries.map((p): CatalogEntry => ({ ...p, origin: 'custom' })),
      ...this.shipped.entries.map((p): CatalogEntry => ({ ...p, origin: 'shipped' })),
    ];
  }

  /**
   * Imports LiteLLM's model_prices_and_context_window.json (object or JSON text) as custom
   * prices. The file is validated whole first: on any bad price it throws and nothing changes.
   */
  importLiteLLM(json: unknown, options?: LiteLLMImportOptions): ImportSummary {
    const { prices, summary } = parseLiteLLM(json, options);
    const version = this.replaceCustom(this.merged(this.custom.entries, prices));
    return { ...summary, version };
  }

  private resolve(model: string, provider: string | undefined): Schedule | undefined {
    const candidates = modelCandidates(model);
    const any: Accept = () => true;
    const steps: [Layer, Accept][] = provider
      ? [
          [this.custom, (p) => p.provider === provider],
          [this.custom, (p) => p.provider === ANY_PROVIDER],
          [this.shipped, (p) => p.provider === provider],
          [this.custom, any],
          [this.shipped, any],
        ]
      : [
          [this.custom, any],
          [this.shipped, any],
        ];
    for (const [layer, accept] of steps) {
      const schedule = layer.find(candidates, accept);
      if (schedule) return schedule;
    }
    return undefined;
  }

  /** `base` with `added` laid over it: an added entry replaces one with the same key. */
  private merged(base: readonly ModelPrice[], added: readonly ModelPrice[]): ModelPrice[] {
    const byKey = new Map<string, ModelPrice>();
    for (const price of base) byKey.set(entryKey(price), price);
    for (const price of added) {
      assertModelPrice(price, `custom price for ${price.model}`);
      byKey.set(entryKey(price), price);
    }
    return [...byKey.values()];
  }

  private replaceCustom(entries: ModelPrice[]): string {
    this.custom = new Layer(entries);
    this.memo.clear();
    this.recentSchedule.fill(undefined);
    this.currentVersion = this.computeVersion();
    return this.currentVersion;
  }

  private computeVersion(): string {
    const entries = this.custom.entries;
    if (entries.length === 0) return this.baseVersion;
    const canonical = [...entries].map((p) => [entryKey(p), p] as const).sort(([a], [b]) => (a < b ? -1 : 1));
    const hash = createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 12);
    return `${this.baseVersion}+custom.${hash}`;
  }
}
