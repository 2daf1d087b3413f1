import { hash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyConfig } from '../config/config-schema.ts';
import { ANONYMOUS_ADMIN, type Principal } from './principal.ts';

/** Outcome of reading an Authorization header. */
export type Authentication = { ok: true; principal: Principal } | { ok: false; status: 401; message: string };

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** SHA-256 of the key (one-shot crypto.hash: half the cost of a Hash object per request). */
function digest(secret: string): Buffer {
  return hash('sha256', secret, 'buffer');
}

/**
 * The configured API keys. Keys are kept only as SHA-256 digests and compared with
 * `timingSafeEqual` against every entry (no early exit), so neither the comparison nor the
 * position of a match leaks timing; digests of equal length let any key length be compared.
 */
export class KeyRing {
  readonly #entries: { digest: Buffer; principal: Principal }[];

  constructor(keys: readonly ApiKeyConfig[]) {
    this.#entries = keys.map((k) => {
      const principal: Principal = { name: k.name, role: k.role };
      if (k.tenant !== undefined) principal.tenant = k.tenant;
      return { digest: digest(k.key!), principal: Object.freeze(principal) };
    });
  }

  /** No keys configured: every request is the anonymous admin (loopback only). */
  get open(): boolean {
    return this.#entries.length === 0;
  }

  authenticate(header: string | string[] | undefined): Authentication {
    if (this.open) return { ok: true, principal: ANONYMOUS_ADMIN };
    const value = Array.isArray(header) ? header[0] : header;
    if (value === undefined || value === '')
      return { ok: false, status: 401, message: 'missing Authorization: Bearer <api key>' };
    const m = BEARER.exec(value);
    if (!m) return { ok: false, status: 401, message: 'Authorization must be "Bearer <api key>"' };
    const presented = digest(m[1]!);
    let found: Principal | undefined;
    for (const e of this.#entries) if (timingSafeEqual(presented, e.digest)) found = e.principal;
    return found ? { ok: true, principal: found } : { ok: false, status: 401, message: 'unknown API key' };
  }
}
