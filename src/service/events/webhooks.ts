import { randomUUID } from 'node:crypto';
import type { BudgetEvent, BudgetEventType } from '../../budget/events.ts';
import type { ServiceContext } from '../context.ts';
import { type Alert, type AlertType, alertOf } from './event-payload.ts';
import { WebhookTarget } from './webhook-target.ts';
import { subjectVisible } from './ws-filter.ts';

export { verifySignature } from './webhook-signature.ts';

export interface WebhookSender {
  /** Stops taking events and waits (bounded) for deliveries in flight. */
  close(): Promise<void>;
}

export interface WebhookSenderOptions {
  /** How long close() lets requests in flight finish before aborting them. */
  closeTimeoutMs?: number;
}

/** The engine event each webhook event type comes from. */
const SOURCE: Record<AlertType, BudgetEventType> = {
  threshold_crossed: 'threshold_crossed',
  budget_exceeded: 'budget_exceeded',
  override_set: 'override_set',
  reservation_expired: 'reservation_expired',
  decision_denied: 'decision',
};

/**
 * Outbound webhooks (`webhooks:` in bursar.yaml): each alert an engine event becomes is
 * POSTed as JSON — `{ id, type, time, ... }`, the same shape `/ws/alerts` streams — to every
 * webhook whose `events` include it and whose `tenant` (if set) the event concerns, by the
 * same rule tenant keys see events. Signed with the webhook's secret (`bursar-signature`),
 * with one id per event across retries (`bursar-webhook-id`) for receiver-side dedupe.
 */
export function createWebhookSender(ctx: ServiceContext, options: WebhookSenderOptions = {}): WebhookSender {
  const { engine, log, stats } = ctx;
  const targets = ctx.config.webhooks.map((w, i) => new WebhookTarget(w, i, log, stats));
  const specOf = (id: string) => engine.budget(id)?.spec;

  const wanted = new Set<BudgetEventType>();
  for (const t of targets) for (const type of t.config.events) wanted.add(SOURCE[type]);

  const dispatch = (e: BudgetEvent) => {
    const alert: Alert | undefined = alertOf(engine, e);
    if (!alert) return;
    let body: string | undefined;
    let id: string | undefined;
    for (const t of targets) {
      if (!t.config.events.includes(alert.type)) continue;
      const tenant = t.config.tenant;
      if (tenant !== undefined && !subjectVisible({ tenant }, alert.subject, specOf)) continue;
      id ??= randomUUID();
      body ??= JSON.stringify({ id, ...alert.payload });
      t.enqueue({ id, type: alert.type, body });
    }
  };
  const unsubscribe = [...wanted].map((type) => engine.events.on(type, dispatch));

  let closing: Promise<void> | undefined;
  return {
    close() {
      return (closing ??= (async () => {
        for (const off of unsubscribe) off();
        const deadline = performance.now() + (options.closeTimeoutMs ?? 5000);
        await Promise.all(targets.map((t) => t.close(deadline)));
      })());
    },
  };
}
