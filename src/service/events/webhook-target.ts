import type { WebhookConfig } from '../config/config-schema.ts';
import type { Logger } from '../log.ts';
import type { ServiceStats } from '../service-stats.ts';
import { EVENT_HEADER, ID_HEADER, SIGNATURE_HEADER, signPayload } from './webhook-signature.ts';

/** One event ready to send: the body is fixed, so every attempt signs the same bytes. */
export interface Delivery {
  id: string;
  type: string;
  body: string;
}

type Attempt =
  | { kind: 'aborted' }
  | { kind: 'ok' }
  | { kind: 'retry'; why: string; afterMs?: number }
  | { kind: 'fatal'; why: string };

/** Retry-After as seconds or an HTTP date, in ms; undefined when absent or unreadable. */
function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * One webhook endpoint: a bounded queue delivered in order, one at a time. Each delivery
 * is retried on network errors, timeouts, 5xx and 429 with exponential backoff and jitter
 * (and at least the receiver's Retry-After), up to `maxAttempts`; any other answer but 2xx
 * is final. Redirects are not followed: a signed event goes to the configured URL only.
 */
export class WebhookTarget {
  readonly #config: WebhookConfig;
  /** For logs: the index and host, never the URL (it may hold a token). */
  readonly #name: { webhook: number; host: string };
  readonly #log: Logger;
  readonly #stats: ServiceStats;
  readonly #queue: Delivery[] = [];
  /** Aborts requests in flight once close() has waited long enough. */
  readonly #abort = new AbortController();
  #closing = false;
  #wakeSleeper: (() => void) | undefined;
  #pumping: Promise<void> | undefined;
  #dropping = false;

  constructor(config: WebhookConfig, index: number, log: Logger, stats: ServiceStats) {
    this.#config = config;
    this.#name = { webhook: index, host: new URL(config.url).host };
    this.#log = log;
    this.#stats = stats;
  }

  get config(): WebhookConfig {
    return this.#config;
  }

  enqueue(d: Delivery): void {
    if (this.#closing) return;
    if (this.#queue.length >= this.#config.maxQueue) {
      this.#stats.bump(this.#stats.webhooks, 'dropped');
      if (!this.#dropping)
        this.#log.warn(
          { ...this.#name, maxQueue: this.#config.maxQueue },
          'webhook queue full: dropping events',
        );
      this.#dropping = true;
      return;
    }
    this.#queue.push(d);
    this.#pumping ??= this.#pump().finally(() => (this.#pumping = undefined));
  }

  /**
   * Takes no more events, cancels waits between retries, lets a request in flight finish
   * until `deadline` (performance.now() ms), then aborts it. Queued events are dropped.
   */
  async close(deadline: number): Promise<void> {
    this.#closing = true;
    this.#wakeSleeper?.();
    if (this.#pumping) {
      const left = Math.max(0, deadline - performance.now());
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.#pumping, new Promise((r) => (timer = setTimeout(r, left)))]);
      clearTimeout(timer);
      this.#abort.abort(new Error('bursar is shutting down'));
      await this.#pumping;
    }
    if (this.#queue.length > 0) {
      this.#stats.bump(this.#stats.webhooks, 'dropped', this.#queue.length);
      this.#log.warn(
        { ...this.#name, dropped: this.#queue.length },
        'webhook events not delivered before shutdown',
      );
      this.#queue.length = 0;
    }
  }

  async #pump(): Promise<void> {
    while (!this.#closing) {
      const d = this.#queue.shift();
      if (!d) return;
      await this.#deliver(d);
    }
  }

  async #deliver(d: Delivery): Promise<void> {
    const { maxAttempts } = this.#config;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#attempt(d, attempt);
      if (outcome.kind === 'ok') {
        this.#stats.bump(this.#stats.webhooks, 'delivered');
        this.#dropping = false;
        return;
      }
      if (outcome.kind === 'aborted') {
        this.#stats.bump(this.#stats.webhooks, 'dropped');
        return;
      }
      if (outcome.kind === 'fatal' || attempt >= maxAttempts) {
        this.#stats.bump(this.#stats.webhooks, 'failed');
        this.#log.warn(
          { ...this.#name, id: d.id, type: d.type, attempts: attempt, why: outcome.why },
          'webhook delivery failed',
        );
        return;
      }
      if (this.#closing) {
        this.#stats.bump(this.#stats.webhooks, 'dropped');
        return;
      }
      this.#stats.bump(this.#stats.webhooks, 'retried');
      this.#log.debug(
        { ...this.#name, id: d.id, attempt, why: outcome.why },
        'webhook delivery will be retried',
      );
      await this.#sleep(this.#backoff(attempt, outcome.afterMs));
      if (this.#closing) {
        this.#stats.bump(this.#stats.webhooks, 'dropped');
        return;
      }
    }
  }

  /** Exponential backoff with "equal jitter": half fixed, half random; at least Retry-After. */
  #backoff(attempt: number, afterMs: number | undefined): number {
    const { retryBaseMs, retryMaxMs } = this.#config;
    const exp = Math.min(retryMaxMs, retryBaseMs * 2 ** (attempt - 1));
    const jittered = exp / 2 + Math.random() * (exp / 2);
    return afterMs === undefined ? jittered : Math.max(jittered, Math.min(afterMs, retryMaxMs));
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wakeSleeper = () => {
        this.#wakeSleeper = undefined;
        done();
      };
    });
  }

  async #attempt(d: Delivery, attempt: number): Promise<Attempt> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'bursar-webhooks',
      [ID_HEADER]: d.id,
      [EVENT_HEADER]: d.type,
      'bursar-delivery-attempt': String(attempt),
    };
    if (this.#config.secret !== undefined)
      headers[SIGNATURE_HEADER] = signPayload(this.#config.secret, d.body);
    try {
      const res = await fetch(this.#config.url, {
        method: 'POST',
        headers,
        body: d.body,
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(this.#config.timeoutMs), this.#abort.signal]),
      });
      await res.body?.cancel();
      if (res.status >= 200 && res.status < 300) return { kind: 'ok' };
      if (res.status === 429 || res.status >= 500) {
        const afterMs = retryAfterMs(res.headers.get('retry-after'));
        return afterMs === undefined
          ? { kind: 'retry', why: `HTTP ${res.status}` }
          : { kind: 'retry', why: `HTTP ${res.status}`, afterMs };
      }
      return { kind: 'fatal', why: `HTTP ${res.status}` };
    } catch (error) {
      // Cut off by close(): the receiver is not to blame, the event is dropped.
      if (this.#abort.signal.aborted) return { kind: 'aborted' };
      const e = error as Error & { cause?: { code?: string } };
      const why =
        e.name === 'TimeoutError'
          ? `no answer within ${this.#config.timeoutMs} ms`
          : (e.cause?.code ?? e.message);
      return { kind: 'retry', why };
    }
  }
}
