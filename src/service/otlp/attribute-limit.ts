/**
 * otlp.maxAttributes: the most attribute values the receiver reads from one span, data
 * point or resource — every kept attribute counts one, and so does every element of an
 * array or kvlist value. A span the OTel SDK made never comes close (its own default limit
 * is 128 attributes, and bursar reads only the GenAI ones); an item past the limit is
 * rejected in the answer's partial_success, as the OTLP specification has a server refuse
 * part of a request. The decoders stop reading an item as soon as it passes the limit:
 * tiny nested values are what make a body cost many times its size in memory.
 */
export interface CountedItem {
  values?: number;
  resource: { values?: number };
}

/** Why an item is over the limit, or undefined. */
export function attributeLimitProblem(item: CountedItem, max: number): string | undefined {
  const own = item.values ?? 0;
  const resource = item.resource.values ?? 0;
  // Reading stops just past the limit, so the count says only that it was passed.
  if (resource > max) return `its resource has more than ${max} attribute values (otlp.maxAttributes)`;
  if (own > max) return `more than ${max} attribute values (otlp.maxAttributes)`;
  return undefined;
}

/**
 * Memory one decoded attribute value holds while its request is in flight, with the
 * records built from it (measured: 100–130 bytes). The receiver counts this into
 * otlp.maxInFlightBytes beside the body's own bytes, so requests that decode to many
 * small values cannot hold many times the configured bytes.
 */
export const DECODED_VALUE_BYTES = 128;
