import { CliError, EXIT, exitCodeForStatus } from './exit-codes.ts';

export interface ClientOptions {
  /** Service base URL; default $BURSAR_URL or http://127.0.0.1:8013. */
  url?: string;
  /** Default $BURSAR_API_KEY. */
  apiKey?: string;
  timeoutMs?: number;
}

interface ErrorBody {
  error?: { code?: string; message?: string; field?: string };
}

/** A thin client of the REST API: JSON in, JSON (or text) out, errors as CliError with an exit code. */
export class ApiClient {
  readonly url: string;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;

  constructor(options: ClientOptions = {}) {
    this.url = (options.url ?? process.env.BURSAR_URL ?? 'http://127.0.0.1:8013').replace(/\/+$/, '');
    this.#apiKey = options.apiKey ?? (process.env.BURSAR_API_KEY || undefined);
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  async #send(method: string, path: string, body?: unknown, accept = 'application/json'): Promise<Response> {
    const headers: Record<string, string> = { accept };
    if (this.#apiKey) headers.authorization = `Bearer ${this.#apiKey}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new CliError(
        `cannot reach the bursar service at ${this.url} (${cause}); set BURSAR_URL`,
        EXIT.UNAVAILABLE,
      );
    }
    if (res.ok || res.status === 402) return res;
    const text = await res.text();
    let message = text.slice(0, 500) || res.statusText;
    try {
      const parsed = JSON.parse(text) as ErrorBody;
      if (parsed.error?.message) message = parsed.error.message;
    } catch {
      // not JSON: keep the text
    }
    const hint = res.status === 401 ? ' (set BURSAR_API_KEY)' : '';
    throw new CliError(`${method} ${path}: ${res.status} ${message}${hint}`, exitCodeForStatus(res.status));
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await this.#send(method, path, body);
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  get<T>(path: string): Promise<T> {
    return this.json<T>('GET', path).then((r) => r.body);
  }

  /** The raw response (CSV exports, streaming with progress). */
  raw(method: string, path: string, accept: string): Promise<Response> {
    return this.#send(method, path, undefined, accept);
  }
}

/** Builds a query string, leaving out undefined values. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
