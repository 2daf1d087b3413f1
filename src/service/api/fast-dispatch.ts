import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Route } from './route.ts';

/** The enforcement calls every agent makes per provider call: worth a path Express does not walk. */
const HOT = new Set([
  'POST /v1/check',
  'POST /v1/reservations',
  'POST /v1/reservations/{id}/commit',
  'DELETE /v1/reservations/{id}',
  'POST /v1/usage',
]);

interface Compiled {
  route: Route;
  /** Literal segments, or null where a parameter goes. */
  segments: (string | null)[];
  names: string[];
}

export type RouteRequest = IncomingMessage & { params: Record<string, string> };

/**
 * Finds the hot enforcement routes by exact method and path before Express does: its
 * router, request and response decoration cost about as much per request as the engine's
 * decision. Only a plain path (no query string, no trailing slash, exact case) matches
 * here; anything else goes to Express, which answers it as before, so the two cannot
 * disagree: the handler, validation and error answers are the same functions.
 */
export class FastDispatch {
  readonly #byMethod = new Map<string, Compiled[]>();

  constructor(routes: readonly Route[]) {
    for (const route of routes) {
      const method = route.method.toUpperCase();
      if (!HOT.has(`${method} ${route.path}`)) continue;
      const names: string[] = [];
      const segments = route.path
        .split('/')
        .slice(1)
        .map((s) => {
          const m = /^\{(\w+)\}$/.exec(s);
          if (!m) return s;
          names.push(m[1]!);
          return null;
        });
      const list = this.#byMethod.get(method) ?? [];
      list.push({ route, segments, names });
      this.#byMethod.set(method, list);
    }
  }

  /** The route and its path parameters (decoded, as Express gives them), or undefined. */
  match(req: IncomingMessage): { route: Route; params: Record<string, string> } | undefined {
    const list = this.#byMethod.get(req.method ?? '');
    const url = req.url;
    if (list === undefined || url === undefined || url.includes('?')) return undefined;
    const parts = url.split('/');
    if (parts[0] !== '') return undefined;
    for (const c of list) {
      if (c.segments.length !== parts.length - 1) continue;
      const params: Record<string, string> = {};
      let ok = true;
      let p = 0;
      for (let i = 0; i < c.segments.length && ok; i++) {
        const seg = c.segments[i];
        const part = parts[i + 1]!;
        if (seg === null) {
          if (part === '') ok = false;
          else {
            try {
              params[c.names[p++]!] = decodeURIComponent(part);
            } catch {
              ok = false; // Express answers a malformed escape itself
            }
          }
        } else if (seg !== part) ok = false;
      }
      if (ok) return { route: c.route, params };
    }
    return undefined;
  }
}

/** Runs `handle` for a matched route, sending its failure through `onError` as Express would. */
export function runFast(
  req: RouteRequest,
  res: ServerResponse,
  handle: (req: RouteRequest, res: ServerResponse) => Promise<void>,
  onError: (error: unknown, req: IncomingMessage, res: ServerResponse) => void,
): void {
  handle(req, res).catch((error: unknown) => onError(error, req, res));
}
