import { RedisStore } from '../../store/redis-store.ts';
import type { Store } from '../../store/store.ts';
import type { ServiceStats } from '../service-stats.ts';
import type { LabelLimiter } from './label-limiter.ts';
import { SeriesFamily } from './series-family.ts';

/** Splits a `ServiceStats` key (`"traces 200"`) into its label values. */
function keyValues(key: string, parts: number): string[] {
  const out = key.split(' ', parts);
  while (out.length < parts) out.push('');
  return out;
}

/**
 * Health of the service itself, read at scrape time from the plain counters receivers and
 * exporters bump (`ServiceStats`) and from the store: ingest outcomes, WebSocket clients,
 * webhook deliveries, label overflow, store readiness.
 */
export class ServiceMetrics {
  readonly ingestSpans = new SeriesFamily({
    name: 'bursar_ingest_spans_total',
    help: 'Spans (signal traces) and metric data points (signal metrics) received, by what became of them.',
    type: 'counter',
    labelNames: ['signal', 'result'],
  });
  readonly ingestRequests = new SeriesFamily({
    name: 'bursar_ingest_requests_total',
    help: 'Ingest requests answered, by signal and HTTP status code.',
    type: 'counter',
    labelNames: ['signal', 'code'],
  });
  readonly wsClients = new SeriesFamily({
    name: 'bursar_ws_clients',
    help: 'WebSocket clients connected, by path.',
    type: 'gauge',
    labelNames: ['path'],
  });
  readonly wsMessages = new SeriesFamily({
    name: 'bursar_ws_messages_sent_total',
    help: 'WebSocket messages sent, by path.',
    type: 'counter',
    labelNames: ['path'],
  });
  readonly wsDropped = new SeriesFamily({
    name: 'bursar_ws_clients_dropped_total',
    help: 'WebSocket clients disconnected by the service, by path and reason (slow: send buffer full; unresponsive: no pong).',
    type: 'counter',
    labelNames: ['path', 'reason'],
  });
  readonly webhooks = new SeriesFamily({
    name: 'bursar_webhook_deliveries_total',
    help: 'Webhook deliveries by result: delivered, failed (gave up), dropped (queue full or shutdown), retried (attempts repeated).',
    type: 'counter',
    labelNames: ['result'],
  });
  readonly labelOverflow = new SeriesFamily({
    name: 'bursar_metric_label_overflow_total',
    help: 'Observations whose label value was reported as __overflow__ because the label reached metrics.maxValuesPerLabel.',
    type: 'counter',
    labelNames: ['label'],
  });
  readonly storeUp = new SeriesFamily({
    name: 'bursar_store_up',
    help: 'Whether the budget store is reachable and writable (1) or not (0).',
    type: 'gauge',
    labelNames: ['store'],
  });
  /** Redis store only: the fail-open buffer and the holds its scripts expired. */
  readonly storeBuffer = new SeriesFamily({
    name: 'bursar_store_buffered_records',
    help: 'Usage records and commits accepted while Redis was unreachable, waiting to be replayed (fail-open budgets).',
    type: 'gauge',
    labelNames: ['store'],
  });
  readonly storeBufferDone = new SeriesFamily({
    name: 'bursar_store_buffer_records_total',
    help: 'Buffered usage records and commits by result: replayed into Redis, or rejected because the buffer was full.',
    type: 'counter',
    labelNames: ['store', 'result'],
  });
  readonly storeHoldsExpired = new SeriesFamily({
    name: 'bursar_store_holds_expired_total',
    help: 'Reservations whose holds the Redis scripts dropped because they expired unreleased (e.g. the client died).',
    type: 'counter',
    labelNames: ['store'],
  });
  readonly #stats: ServiceStats;
  readonly #store: Store;
  readonly #limiter: LabelLimiter;

  constructor(stats: ServiceStats, store: Store, limiter: LabelLimiter) {
    this.#stats = stats;
    this.#store = store;
    this.#limiter = limiter;
    for (const path of ['/ws', '/ws/alerts']) this.wsClients.set([path], 0);
  }

  families(): SeriesFamily[] {
    return [
      this.ingestSpans,
      this.ingestRequests,
      this.wsClients,
      this.wsMessages,
      this.wsDropped,
      this.webhooks,
      this.labelOverflow,
      this.storeUp,
      ...(this.#store instanceof RedisStore
        ? [this.storeBuffer, this.storeBufferDone, this.storeHoldsExpired]
        : []),
    ];
  }

  async refresh(): Promise<void> {
    const s = this.#stats;
    for (const [key, n] of s.ingestItems) this.ingestSpans.set(keyValues(key, 2), n);
    for (const [key, n] of s.ingestRequests) this.ingestRequests.set(keyValues(key, 2), n);
    for (const [path, n] of s.wsClients) this.wsClients.set([path], n);
    for (const [path, n] of s.wsMessages) this.wsMessages.set([path], n);
    for (const [key, n] of s.wsDropped) this.wsDropped.set(keyValues(key, 2), n);
    for (const [result, n] of s.webhooks) this.webhooks.set([result], n);
    for (const [label, n] of this.#limiter.overflowed) this.labelOverflow.set([label], n);
    let up: boolean;
    try {
      if (this.#store instanceof RedisStore) {
        const h = await this.#store.health();
        up = h.ready;
        this.storeBuffer.set(['redis'], h.buffered);
        this.storeBufferDone.set(['redis', 'replayed'], h.replayed);
        this.storeBufferDone.set(['redis', 'rejected'], h.rejected);
        this.storeHoldsExpired.set(['redis'], h.holdsExpired);
      } else up = await this.#store.ready();
    } catch {
      up = false;
    }
    this.storeUp.set([this.#store.kind], up ? 1 : 0);
  }
}
