import { ATTR_SERVICE_INSTANCE_ID, ATTR_SERVICE_NAME } from '../../semconv.ts';
import { MAX_LABEL_VALUE_LENGTH, type Scope } from '../../usage/scope.ts';
import type { Attributes, AttributeValue } from './attributes.ts';
import type { DecodedResource } from './decoded.ts';

/**
 * Scope labels of OTLP data, from configuration (`otlp.resourceLabels`, `otlp.spanLabels`:
 * attribute name → label name). Weakest first: resource attributes, then span (or data
 * point) attributes named in spanLabels, then what the span itself says (bursar.scope.*,
 * gen_ai.agent.name, gen_ai.conversation.id; see usageRecordFromSpan). The engine then
 * keeps only the standard and configured custom labels.
 */

export interface ResourceFacts {
  /** Labels every span or point of this resource carries. */
  scope: Readonly<Record<string, string>>;
  /** service.instance.id, else service.name; '' when neither is set. */
  process: string;
}

function labelValue(v: AttributeValue | undefined): string | undefined {
  if (typeof v === 'string')
    return v.length === 0
      ? undefined
      : v.length > MAX_LABEL_VALUE_LENGTH
        ? v.slice(0, MAX_LABEL_VALUE_LENGTH)
        : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

export class ScopeLabeler {
  readonly #resourceLabels: [string, string][];
  readonly #spanLabels: [string, string][];
  readonly #resources = new WeakMap<DecodedResource, ResourceFacts>();
  /** The resource asked about last (spans of one resource come one after another). */
  #lastResource: DecodedResource | undefined;
  #lastFacts: ResourceFacts | undefined;

  constructor(
    resourceLabels: Readonly<Record<string, string>>,
    spanLabels: Readonly<Record<string, string>>,
  ) {
    this.#resourceLabels = Object.entries(resourceLabels);
    this.#spanLabels = Object.entries(spanLabels);
  }

  /** Resource attributes the receiver reads: the mapped ones and the process identity. */
  resourceAttributes(): string[] {
    return [...this.#resourceLabels.map(([a]) => a), ATTR_SERVICE_NAME, ATTR_SERVICE_INSTANCE_ID];
  }

  /** Span attributes mapped to labels by configuration. */
  spanAttributes(): string[] {
    return this.#spanLabels.map(([a]) => a);
  }

  /** Labels and identity of a resource, worked out once per resource in a request. */
  resource(resource: DecodedResource): ResourceFacts {
    if (resource === this.#lastResource) return this.#lastFacts!;
    let facts = this.#resources.get(resource);
    if (facts) {
      this.#lastResource = resource;
      this.#lastFacts = facts;
      return facts;
    }
    const scope: Record<string, string> = {};
    for (const [attr, name] of this.#resourceLabels) {
      const v = labelValue(resource.attributes[attr]);
      if (v !== undefined) scope[name] = v;
    }
    const a = resource.attributes;
    const process = labelValue(a[ATTR_SERVICE_INSTANCE_ID]) ?? labelValue(a[ATTR_SERVICE_NAME]) ?? '';
    facts = { scope, process };
    this.#resources.set(resource, facts);
    this.#lastResource = resource;
    this.#lastFacts = facts;
    return facts;
  }

  /** The scope of one span or data point: resource labels < spanLabels < `own`. */
  scope(resource: DecodedResource, attributes: Attributes, own: Scope): Record<string, string> {
    return this.scopeOf(this.resource(resource), attributes, own);
  }

  /** scope() for a resource whose facts are at hand. */
  scopeOf(facts: ResourceFacts, attributes: Attributes, own: Scope): Record<string, string> {
    const scope: Record<string, string> = { ...facts.scope };
    for (const [attr, name] of this.#spanLabels) {
      const v = labelValue(attributes[attr]);
      if (v !== undefined) scope[name] = v;
    }
    for (const k in own) scope[k] = own[k]!;
    return scope;
  }
}
