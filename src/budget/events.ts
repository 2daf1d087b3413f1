import type { Override, Reservation } from '../store/store.ts';
import type { PricedRecord } from '../usage/usage-record.ts';
import type { Decision } from './decision.ts';

interface BudgetPoint {
  time: number;
  budgetId: string;
  group: string;
  periodStart: number;
  used: number;
  limit: number;
  utilization: number;
}

/** Typed events the engine emits; the service turns them into WebSocket messages and webhooks. */
export type BudgetEvent =
  | ({ type: 'threshold_crossed'; threshold: number } & BudgetPoint)
  | ({ type: 'budget_exceeded' } & BudgetPoint)
  | { type: 'usage_recorded'; time: number; record: PricedRecord }
  | { type: 'decision'; time: number; operation: 'check' | 'reserve'; decision: Decision }
  | { type: 'reservation_created'; time: number; reservation: Reservation }
  | { type: 'reservation_committed'; time: number; reservation: Reservation; late: boolean }
  | { type: 'reservation_released'; time: number; reservation: Reservation }
  | { type: 'reservation_expired'; time: number; reservation: Reservation }
  | { type: 'override_set'; time: number; override: Override };

export type BudgetEventType = BudgetEvent['type'];
type Listener<T extends BudgetEventType> = (event: Extract<BudgetEvent, { type: T }>) => void;

/**
 * A small typed emitter. A listener that throws is reported to `onListenerError`
 * and never breaks the budget operation that emitted the event.
 */
export class BudgetEvents {
  readonly #listeners = new Map<BudgetEventType | '*', Set<(e: BudgetEvent) => void>>();
  onListenerError: (error: unknown, event: BudgetEvent) => void = (error) => {
    console.error('bursar: event listener failed:', error);
  };

  on<T extends BudgetEventType>(type: T | '*', listener: Listener<T>): () => void {
    let set = this.#listeners.get(type);
    if (!set) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    const fn = listener as (e: BudgetEvent) => void;
    set.add(fn);
    return () => set.delete(fn);
  }

  has(type: BudgetEventType): boolean {
    return (this.#listeners.get(type)?.size ?? 0) > 0 || (this.#listeners.get('*')?.size ?? 0) > 0;
  }

  emit(event: BudgetEvent): void {
    for (const key of [event.type, '*'] as const) {
      const set = this.#listeners.get(key);
      if (!set) continue;
      for (const fn of set) {
        try {
          fn(event);
        } catch (error) {
          this.onListenerError(error, event);
        }
      }
    }
  }
}
