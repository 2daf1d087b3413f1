import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_BURSAR_SCOPE_PREFIX,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from '../semconv.ts';
import type { Scope } from '../usage/scope.ts';
import type { GenAiRequest } from './call.ts';
import { AttributeCache } from './metrics.ts';

const RECENT = 4;

interface Recent {
  operation: string;
  provider: string;
  model: string;
  responseModel: string | undefined;
  serverAddress: string | undefined;
  serverPort: number | undefined;
  errorType: string | undefined;
  attrs: Attributes;
}

/**
 * The attribute sets of a call's metric points: one frozen object per distinct set of
 * values, handed out again for every call with the same values (the SDK sees the same
 * object, and bursar's running totals find theirs by identity). The last few sets handed
 * out sit in front of the cache when no scope label is configured: calls mostly repeat a
 * handful of models, and comparing seven values costs less than seven map lookups and
 * a key array.
 */
export class MetricAttributes {
  readonly #labels: readonly string[];
  readonly #cache = new AttributeCache();
  readonly #recent: Recent[] = [];
  #recentNext = 0;

  constructor(scopeLabels: readonly string[]) {
    this.#labels = scopeLabels;
  }

  get(
    req: GenAiRequest,
    responseModel: string | undefined,
    errorType: string | undefined,
    scope: Scope,
  ): Attributes {
    if (this.#labels.length > 0) return this.#cached(req, responseModel, errorType, scope);
    const recent = this.#recent;
    for (let i = 0; i < recent.length; i++) {
      const r = recent[i]!;
      if (
        r.model === req.model &&
        r.responseModel === responseModel &&
        r.operation === req.operation &&
        r.provider === req.provider &&
        r.errorType === errorType &&
        r.serverAddress === req.serverAddress &&
        r.serverPort === req.serverPort
      )
        return r.attrs;
    }
    const attrs = this.#cached(req, responseModel, errorType, scope);
    recent[this.#recentNext] = {
      operation: req.operation,
      provider: req.provider,
      model: req.model,
      responseModel,
      serverAddress: req.serverAddress,
      serverPort: req.serverPort,
      errorType,
      attrs,
    };
    this.#recentNext = (this.#recentNext + 1) % RECENT;
    return attrs;
  }

  #cached(
    req: GenAiRequest,
    responseModel: string | undefined,
    errorType: string | undefined,
    scope: Scope,
  ): Attributes {
    const labels = this.#labels;
    const key = [
      req.operation,
      req.provider,
      req.model,
      responseModel,
      req.serverAddress,
      req.serverPort,
      errorType,
    ];
    for (const l of labels) key.push(scope[l]);
    return this.#cache.get(key, () => {
      const a: Attributes = {
        [ATTR_GEN_AI_OPERATION_NAME]: req.operation,
        [ATTR_GEN_AI_PROVIDER_NAME]: req.provider,
        [ATTR_GEN_AI_REQUEST_MODEL]: req.model,
      };
      if (responseModel !== undefined) a[ATTR_GEN_AI_RESPONSE_MODEL] = responseModel;
      if (req.serverAddress !== undefined) a[ATTR_SERVER_ADDRESS] = req.serverAddress;
      if (req.serverPort !== undefined) a[ATTR_SERVER_PORT] = req.serverPort;
      if (errorType !== undefined) a[ATTR_ERROR_TYPE] = errorType;
      for (const l of labels) if (scope[l] !== undefined) a[`${ATTR_BURSAR_SCOPE_PREFIX}${l}`] = scope[l];
      return a;
    });
  }
}
