/**
 * Plain counters the receivers bump and the Prometheus exporter reads at scrape time.
 * Keeps data flowing one way: receivers never touch the metrics registry.
 */
export type Signal = 'traces' | 'metrics' | 'rest';
/** What became of one span or data point. */
export type IngestResult = 'accepted' | 'duplicate' | 'rejected' | 'ignored';

export class ServiceStats {
  /** `${signal} ${code}` → requests answered. */
  readonly ingestRequests = new Map<string, number>();
  /** `${signal} ${result}` → spans or data points. */
  readonly ingestItems = new Map<string, number>();

  countRequest(signal: Signal, code: number): void {
    const key = `${signal} ${code}`;
    this.ingestRequests.set(key, (this.ingestRequests.get(key) ?? 0) + 1);
  }

  countItems(signal: Signal, result: IngestResult, n = 1): void {
    if (n === 0) return;
    const key = `${signal} ${result}`;
    this.ingestItems.set(key, (this.ingestItems.get(key) ?? 0) + n);
  }

  // ---- exporters (WebSocket hub, webhooks) ----

  /** WebSocket path → clients connected now. */
  readonly wsClients = new Map<string, number>();
  /** `${path} ${reason}` → clients the service disconnected (e.g. `slow`: send buffer full). */
  readonly wsDropped = new Map<string, number>();
  /** WebSocket path → messages sent. */
  readonly wsMessages = new Map<string, number>();
  /** Webhook outcome (`delivered`, `failed`, `dropped`, `retried`) → deliveries or attempts. */
  readonly webhooks = new Map<string, number>();

  bump(map: Map<string, number>, key: string, n = 1): void {
    map.set(key, (map.get(key) ?? 0) + n);
  }
}
