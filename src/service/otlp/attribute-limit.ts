/**
 * otlp.maxAttributes: the most attribute values the receiver reads from one span, data
 * point or resource — every kept attribute counts one, and so does every element of an
 * array or kvlist value. A span the OTel SDK made never comes close (its own default limit
 * is 128 attributes, and bursar reads only the GenAI ones); an item past the limit is
 * rejected in the answer's partial_success, as the OTLP specification has a server refuse
 * part of a request. Tiny nested values are what make a body cost many times its size in
 * memory, so the limit also bounds what one item can cost.
 */
export interface CountedItem {
  values?: number;
  resource: { values?: number };
}

/** Why an item is over the limit, or undefined. */
export function attributeLimitProblem(item: CountedItem, max: number): string | undefined {
  const own = item.values ?? 0;
  const resource = item.resource.values ?? 0;
  if (resource > max)
    return `its resource has ${resource} attribute values, more than otlp.maxAttributes (${max})`;
  if (own > max) return `${own} attribute values, more than otlp.maxAttributes (${max})`;
  return undefined;
}
