import type { BudgetEngine } from '../budget/engine.ts';
import type { BudgetDecision, Decision } from '../budget/decision.ts';
import type { CommitInput, ReserveInput, ReserveResult } from '../budget/requests.ts';
import { fromUnits } from '../budget/budget-spec.ts';
import type { PricedRecord } from '../usage/usage-record.ts';
import type { GenAiRequest } from './call.ts';
import { currentScope } from './scope.ts';

/**
 * The guard: before a provider call, reserve its estimated size against the budgets
 * (in process or on a bursar service); after it, commit what the provider reported,
 * or release the hold when nothing was used. A denial throws before any request is
 * sent.
 */

/** Where reservations are made: the in-process engine, or a client of the bursar service. */
export interface BudgetBackend {
  reserve(input: ReserveInput): Promise<ReserveResult>;
  commit(reservationId: string, usage: CommitInput): Promise<unknown>;
  release(reservationId: string): Promise<unknown>;
}

/** Marks a denial made as another class (sdk-budget-error.ts) so `instanceof BudgetExceededError` holds. */
export const BUDGET_EXCEEDED = Symbol.for('bursar.BudgetExceededError');

export class BudgetExceededError extends Error {
  static override [Symbol.hasInstance](x: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, x)) return true;
    return (
      this === BudgetExceededError &&
      typeof x === 'object' &&
      x !== null &&
      (x as Record<symbol, unknown>)[BUDGET_EXCEEDED] === true
    );
  }

  readonly budget: string;
  readonly policy: string;
  /** In the budget's unit (USD, tokens, seconds, count). */
  readonly limit: number;
  readonly used: number;
  readonly reserved: number;
  readonly requested: number;
  readonly decision: Decision;
  constructor(decision: Decision) {
    const b: BudgetDecision | undefined = decision.budgets.find((x) => x.decision === 'deny');
    super(`bursar: budget exceeded: ${decision.reasons.join('; ') || 'denied'}`);
    this.name = 'BudgetExceededError';
    this.decision = decision;
    this.budget = b ? (b.group ? `${b.budgetId}[${b.group}]` : b.budgetId) : '';
    this.policy = b?.policy ?? '';
    const unit = (v: number) => (b ? fromUnits(b.resource, v) : v);
    this.limit = unit(b?.limit ?? 0);
    this.used = unit(b?.used ?? 0);
    this.reserved = unit(b?.reserved ?? 0);
    this.requested = unit(b?.requested ?? 0);
  }
}

/** The budget store could not be reached and the guard fails closed. */
export class BudgetUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`bursar: budget service unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'BudgetUnavailableError';
  }
}

export interface GuardOptions {
  backend: BudgetBackend | BudgetEngine;
  /** When the backend cannot be reached: let calls through (open) or refuse them (closed). Default closed. */
  failMode?: 'open' | 'closed';
  /** Output tokens assumed when the request sets no max_tokens. Default 1024. */
  defaultOutputTokens?: number;
  /** Hold time before an uncommitted reservation expires. Default 10 minutes. */
  ttlMs?: number;
  /**
   * Size the input with the provider's own token counter (Anthropic messages.countTokens,
   * Gemini models.countTokens) where it has one — one extra, unbilled request per call.
   * Otherwise, and if counting fails, the request's text length is the estimate.
   */
  countTokens?: boolean;
}

/** Asks the provider how many input tokens a request has (estimate only; never recorded). */
export type TokenCounter = () => Promise<number | undefined>;

/** A reservation held for one call. */
export interface Admission {
  reservationId?: string;
}

/** Input tokens of a request estimated from its text: ~4 characters a token. Only ever a reservation size. */
export function estimateInputTokens(input: unknown): number {
  if (input === undefined) return 0;
  let text: string;
  try {
    text = typeof input === 'string' ? input : JSON.stringify(input);
  } catch {
    return 0;
  }
  return Math.ceil(text.length / 4);
}

export class Guard {
  readonly #opts: Required<Omit<GuardOptions, 'backend'>> & { backend: BudgetBackend };

  constructor(opts: GuardOptions) {
    this.#opts = {
      backend: opts.backend,
      failMode: opts.failMode ?? 'closed',
      defaultOutputTokens: opts.defaultOutputTokens ?? 1024,
      ttlMs: opts.ttlMs ?? 600_000,
      countTokens: opts.countTokens ?? false,
    };
  }

  /** Reserves, or throws BudgetExceededError / BudgetUnavailableError. */
  async admit(req: GenAiRequest, count?: TokenCounter): Promise<Admission> {
    let counted: number | undefined;
    if (this.#opts.countTokens && count) {
      try {
        counted = await count();
      } catch {
        // Counting is an estimate's refinement: without it, the text length stands in.
      }
    }
    const estimate = {
      inputTokens: counted ?? estimateInputTokens(req.input),
      outputTokens:
        req.params?.maxTokens ?? (req.operation === 'embeddings' ? 0 : this.#opts.defaultOutputTokens),
    };
    let result: ReserveResult;
    try {
      result = await this.#opts.backend.reserve({
        scope: { ...currentScope() },
        provider: req.provider,
        model: req.model,
        operation: req.operation,
        estimate,
        ttlMs: this.#opts.ttlMs,
      });
    } catch (error) {
      if (this.#opts.failMode === 'open') return {};
      throw new BudgetUnavailableError(error);
    }
    if (!result.decision.allowed) throw new BudgetExceededError(result.decision);
    if (result.storeUnavailable && this.#opts.failMode === 'closed' && !result.reservation) {
      throw new BudgetUnavailableError(new Error(result.decision.reasons.join('; ')));
    }
    return result.reservation ? { reservationId: result.reservation.id } : {};
  }

  /**
   * After the call: usage the provider reported is committed (even when the call then
   * failed: those tokens were billed); with no usage at all the hold is released.
   */
  async settle(admission: Admission, record: PricedRecord | undefined): Promise<void> {
    const id = admission.reservationId;
    if (id === undefined) return;
    const backend = this.#opts.backend;
    try {
      if (record && record.usageSource === 'provider') {
        const commit: CommitInput = {
          id: record.id,
          time: record.time,
          usage: record.usage,
          durationMs: record.durationMs,
          usageSource: record.usageSource,
        };
        if (record.responseModel !== undefined) commit.responseModel = record.responseModel;
        if (record.errorType !== undefined) commit.errorType = record.errorType;
        if (record.providerCostNanoUsd !== undefined) commit.providerCostNanoUsd = record.providerCostNanoUsd;
        await backend.commit(id, commit);
      } else {
        await backend.release(id);
      }
    } catch (error) {
      // The hold expires by itself after its TTL; the call's result is not affected.
      console.error('bursar: could not settle a reservation:', error);
    }
  }
}
