import type { ServiceContext } from '../context.ts';

export interface WebhookSender {
  /** Stops taking events and waits (bounded) for deliveries in flight. */
  close(): Promise<void>;
}

// PLACEHOLDER: replaced by the webhook sender.
export function createWebhookSender(_ctx: ServiceContext): WebhookSender {
  return { close: () => Promise.resolve() };
}
