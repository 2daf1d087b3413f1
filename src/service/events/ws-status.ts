import type { BudgetEngine } from '../../budget/engine.ts';
import { type StatusReport, statusReport } from '../../budget/status.ts';
import { statusView } from './event-payload.ts';
import { budgetConcerns, type ScopeFilter } from './ws-filter.ts';

/** A `/ws` subscriber as the status broadcaster sees it. */
export interface StatusSubscriber {
  readonly filter: ScopeFilter;
  /** Subscribers with equal keys share one serialized message. */
  readonly filterKey: string;
}

/**
 * Budget status for `/ws` subscribers, sent on change: anything that moves a counter or a
 * limit marks the status dirty, and at most once per interval a fresh report is read
 * (one for all subscribers) and each gets the budgets its filter may see.
 */
export class StatusBroadcaster<S extends StatusSubscriber> {
  readonly #engine: BudgetEngine;
  readonly #subscribers: () => Iterable<S>;
  readonly #send: (s: S, data: Buffer) => void;
  readonly #timer: NodeJS.Timeout;
  readonly #onError: (error: unknown) => void;
  #dirty = false;
  #running = false;

  constructor(
    engine: BudgetEngine,
    intervalMs: number,
    subscribers: () => Iterable<S>,
    send: (s: S, data: Buffer) => void,
    onError: (error: unknown) => void,
  ) {
    this.#engine = engine;
    this.#subscribers = subscribers;
    this.#send = send;
    this.#onError = onError;
    this.#timer = setInterval(() => void this.#tick(), intervalMs);
    this.#timer.unref();
  }

  markDirty(): void {
    this.#dirty = true;
  }

  /** The current status to one new subscriber. */
  async greet(s: S): Promise<void> {
    try {
      const report = await statusReport(this.#engine);
      this.#send(s, this.#message(report, s.filter));
    } catch (error) {
      this.#onError(error);
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #tick(): Promise<void> {
    if (!this.#dirty || this.#running) return;
    const subscribers = [...this.#subscribers()];
    if (subscribers.length === 0) return;
    this.#dirty = false;
    this.#running = true;
    try {
      const report = await statusReport(this.#engine);
      const messages = new Map<string, Buffer>();
      for (const s of subscribers) {
        let data = messages.get(s.filterKey);
        if (data === undefined) {
          data = this.#message(report, s.filter);
          messages.set(s.filterKey, data);
        }
        this.#send(s, data);
      }
    } catch (error) {
      this.#onError(error);
    } finally {
      this.#running = false;
    }
  }

  #message(report: StatusReport, filter: ScopeFilter): Buffer {
    const budgets = report.budgets.filter((b) =>
      budgetConcerns(filter, this.#engine.budget(b.budgetId)?.spec, b.group),
    );
    const message = {
      type: 'status',
      time: report.time,
      budgets: budgets.map((b) => statusView(this.#engine, b)),
      isAnyCritical: budgets.some((b) => b.critical),
    };
    return Buffer.from(JSON.stringify(message), 'utf8');
  }
}
