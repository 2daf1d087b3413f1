import type { Scope } from '../usage/scope.ts';
import { type Estimate, type EstimatedCall, estimateCost, usageFromEstimate } from './amounts.ts';
import type { Pricer } from './engine.ts';

interface EstimatedFor {
  scope: Scope;
  provider?: string;
  model?: string;
  operation?: string;
}

/**
 * Sizes a check or reservation from its estimate. Guards send the same few estimate
 * shapes over and over, so each shape is priced once per catalog version.
 */
export class EstimatePricer {
  readonly #pricer: Pricer;
  readonly #now: () => number;
  readonly #cache = new Map<string, { nanoUsd: number; unpriced: boolean }>();

  constructor(pricer: Pricer, now: () => number) {
    this.#pricer = pricer;
    this.#now = now;
  }

  /** The estimate as a record-shaped value `amountOf` reads, plus whether its model is unpriced. */
  price(call: EstimatedFor, estimate: Estimate): { amounts: EstimatedCall; unpriced: boolean } {
    const usage = usageFromEstimate(estimate);
    let cost = { nanoUsd: 0, unpriced: false };
    const key =
      estimate.costUsd === undefined && call.model !== undefined
        ? `${this.#pricer.version}\u0000${call.provider}\u0000${call.model}\u0000${usage.input}\u0000${usage.output}`
        : undefined;
    const cached = key === undefined ? undefined : this.#cache.get(key);
    if (cached) cost = cached;
    else if (estimate.costUsd !== undefined || call.model !== undefined) {
      const priced = this.#pricer.price({
        id: 'estimate',
        time: this.#now(),
        provider: call.provider ?? '',
        operation: call.operation ?? 'chat',
        requestModel: call.model ?? '',
        usage,
        scope: call.scope,
        durationMs: 0,
        usageSource: 'provider',
      });
      cost = estimateCost(estimate, priced);
      if (key !== undefined) {
        if (this.#cache.size >= 10_000) this.#cache.clear();
        this.#cache.set(key, cost);
      }
    }
    const durationMs = (estimate.durationSeconds ?? 0) * 1000;
    return {
      amounts: { usage, cost: { nanoUsd: cost.nanoUsd }, operation: call.operation ?? 'chat', durationMs },
      unpriced: cost.unpriced,
    };
  }
}
