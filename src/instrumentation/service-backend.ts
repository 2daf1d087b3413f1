import type { BudgetDecision, Decision } from '../budget/decision.ts';
import type { CommitInput, ReserveInput, ReserveResult } from '../budget/requests.ts';
import type { Reservation } from '../store/store.ts';
import type { BudgetBackend } from './guard.ts';

/**
 * The guard's backend when budgets live in a bursar service: reserve, commit and release
 * over its REST API. A network failure or a 5xx rejects (the guard then applies its
 * failMode); a 402 is a denial carrying the service's decision.
 */
export interface ServiceBackendOptions {
  /** Base URL of the REST API; default $BURSAR_URL or http://127.0.0.1:8013. */
  url?: string;
  /** A tenant or admin key; default $BURSAR_API_KEY. */
  apiKey?: string;
  /** Per request; past it the call counts as the service being unreachable. Default 2000 ms. */
  timeoutMs?: number;
}

interface BudgetDecisionView extends Omit<
  BudgetDecision,
  'used' | 'reserved' | 'periodStart' | 'periodEnd' | 'utilization'
> {
  used: number | null;
  reserved: number | null;
  utilization: number | null;
  periodStart: string;
  periodEnd: string | null;
}
interface DecisionView extends Omit<Decision, 'budgets'> {
  budgets: BudgetDecisionView[];
}
interface ReservationView extends Omit<Reservation, 'createdAt' | 'expiresAt'> {
  createdAt: string;
  expiresAt: string;
}

export class ServiceUnavailableError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.name = 'ServiceUnavailableError';
    this.status = status;
  }
}

function decisionFrom(v: DecisionView): Decision {
  return {
    ...v,
    budgets: v.budgets.map((b) => ({
      ...b,
      used: b.used ?? Number.NaN,
      reserved: b.reserved ?? Number.NaN,
      utilization: b.utilization ?? Number.NaN,
      periodStart: Date.parse(b.periodStart),
      periodEnd: b.periodEnd === null ? Number.POSITIVE_INFINITY : Date.parse(b.periodEnd),
    })),
  };
}

function reservationFrom(v: ReservationView): Reservation {
  return { ...v, createdAt: Date.parse(v.createdAt), expiresAt: Date.parse(v.expiresAt) };
}

export class ServiceBackend implements BudgetBackend {
  readonly url: string;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;

  constructor(options: ServiceBackendOptions = {}) {
    this.url = (options.url ?? process.env.BURSAR_URL ?? 'http://127.0.0.1:8013').replace(/\/+$/, '');
    const key = options.apiKey ?? process.env.BURSAR_API_KEY;
    this.#headers = { 'content-type': 'application/json', accept: 'application/json' };
    if (key) this.#headers.authorization = `Bearer ${key}`;
    this.#timeoutMs = options.timeoutMs ?? 2000;
  }

  async #post(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        headers: this.#headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new ServiceUnavailableError(
        `bursar service at ${this.url} unreachable: ${(error as Error).message}`,
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json };
  }

  #fail(path: string, status: number, json: unknown): never {
    const message =
      (json as { error?: { message?: string } } | undefined)?.error?.message ?? `HTTP ${status}`;
    if (status >= 500 || status === 429) throw new ServiceUnavailableError(`${path}: ${message}`, status);
    throw new Error(`bursar service ${path}: ${status} ${message}`);
  }

  async reserve(input: ReserveInput): Promise<ReserveResult> {
    const { status, json } = await this.#post('POST', '/v1/reservations', input);
    const body = json as
      { reservation?: ReservationView | null; decision?: DecisionView; replayed?: boolean } | undefined;
    if ((status === 201 || status === 200 || status === 402 || status === 503) && body?.decision) {
      const result: ReserveResult = { decision: decisionFrom(body.decision) };
      if (body.reservation) result.reservation = reservationFrom(body.reservation);
      if (body.replayed !== undefined) result.replayed = body.replayed;
      if (status === 503 || (status !== 402 && !body.reservation)) result.storeUnavailable = true;
      return result;
    }
    return this.#fail('/v1/reservations', status, json);
  }

  async commit(reservationId: string, usage: CommitInput): Promise<unknown> {
    const path = `/v1/reservations/${encodeURIComponent(reservationId)}/commit`;
    const { status, json } = await this.#post('POST', path, usage);
    if (status === 200 || status === 409) return json;
    return this.#fail(path, status, json);
  }

  async release(reservationId: string): Promise<unknown> {
    const path = `/v1/reservations/${encodeURIComponent(reservationId)}`;
    const { status, json } = await this.#post('DELETE', path);
    if (status === 200 || status === 404) return json;
    return this.#fail(path, status, json);
  }
}
