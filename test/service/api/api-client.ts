import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { expect } from 'vitest';
import type { ServiceConfigInput } from '../../../src/service/config/config-schema.ts';
import { startTestService, type TestService } from '../../helpers/service.ts';

/** A small HTTP client for the REST API, and a check that answers match /openapi.json. */

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // Tests read whatever the answer holds.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export type Client = ReturnType<typeof client>;

export function client(baseUrl: string, key?: string) {
  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const init: RequestInit = { method, headers: { ...headers } };
    if (key !== undefined) (init.headers as Record<string, string>).authorization = `Bearer ${key}`;
    if (body !== undefined) {
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const res = await fetch(baseUrl + path, init);
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, body: json } as Answer;
  }
  return {
    get: (path: string, headers?: Record<string, string>) => call('GET', path, undefined, headers),
    post: (path: string, body?: unknown, headers?: Record<string, string>) =>
      call('POST', path, body, headers),
    put: (path: string, body?: unknown, headers?: Record<string, string>) => call('PUT', path, body, headers),
    del: (path: string, headers?: Record<string, string>) => call('DELETE', path, undefined, headers),
    call,
  };
}

export type OpenApiDoc = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  paths: Record<string, Record<string, any>>;
  components: { schemas: Record<string, unknown> };
};

/**
 * Validates answers against the response schemas /openapi.json documents, so the
 * document is held to what the service really sends.
 */
export class Documented {
  readonly doc: OpenApiDoc;
  readonly #ajv: Ajv2020;
  readonly #compiled = new Map<string, ValidateFunction>();

  constructor(doc: OpenApiDoc) {
    this.doc = doc;
    this.#ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
    this.#ajv.addSchema({ $id: 'openapi', components: doc.components });
  }

  /** A schema of the document (e.g. `#/components/schemas/CheckRequest`) as a validator. */
  validator(ref: string): ValidateFunction {
    let v = this.#compiled.get(ref);
    if (!v) {
      v = this.#ajv.compile({ $ref: `openapi${ref}` });
      this.#compiled.set(ref, v);
    }
    return v;
  }

  /** Asserts `answer` is what `method path` documents for its status (JSON bodies). */
  check(method: string, path: string, answer: Answer): void {
    const op = this.doc.paths[path]?.[method.toLowerCase()];
    expect(op, `${method} ${path} is documented`).toBeDefined();
    const response = op.responses[String(answer.status)];
    expect(response, `${method} ${path} documents status ${answer.status}`).toBeDefined();
    const ref = response.content?.['application/json']?.schema?.$ref as string | undefined;
    if (ref === undefined || answer.body === undefined) return;
    const validate = this.validator(ref);
    const ok = validate(answer.body);
    expect(ok ? [] : validate.errors, `${method} ${path} ${answer.status} matches ${ref}`).toEqual([]);
  }
}

export const ADMIN_KEY = 'admin-key-0123456789abcdef';
export const TENANT_A_KEY = 'tenant-a-key-0123456789abcdef';
export const TENANT_B_KEY = 'tenant-b-key-0123456789abcdef';
export const INGEST_KEY = 'ingest-key-0123456789abcdef';

export const KEYS: ServiceConfigInput['auth'] = {
  keys: [
    { name: 'admin', key: ADMIN_KEY, role: 'admin' },
    { name: 'tenant-a', key: TENANT_A_KEY, role: 'tenant', tenant: 'a' },
    { name: 'tenant-b', key: TENANT_B_KEY, role: 'tenant', tenant: 'b' },
    { name: 'ingest', key: INGEST_KEY, role: 'ingest' },
  ],
};

export interface ApiFixture {
  svc: TestService;
  admin: Client;
  a: Client;
  b: Client;
  ingest: Client;
  anon: Client;
  documented: Documented;
}

/** The real service with the four keys above, its clients, and its OpenAPI document. */
export async function startApi(
  input: ServiceConfigInput = {},
  options: Parameters<typeof startTestService>[1] = {},
): Promise<ApiFixture> {
  const svc = await startTestService({ log: { level: 'warn' }, ...input, auth: input.auth ?? KEYS }, options);
  const anon = client(svc.apiUrl);
  const doc = (await anon.get('/openapi.json')).body as OpenApiDoc;
  return {
    svc,
    admin: client(svc.apiUrl, ADMIN_KEY),
    a: client(svc.apiUrl, TENANT_A_KEY),
    b: client(svc.apiUrl, TENANT_B_KEY),
    ingest: client(svc.apiUrl, INGEST_KEY),
    anon,
    documented: new Documented(doc),
  };
}
