import { Ajv, type ValidateFunction } from 'ajv';
import { z } from 'zod';
import { parseWith } from './errors.ts';

/**
 * A zod schema with a compiled fast path. zod stays the single source of truth (and
 * writes every error message); its JSON Schema, compiled by Ajv into straight-line
 * code, answers the common case — valid input — in a fraction of zod's time. Only
 * schemas whose JSON Schema says everything zod checks may use it: no refinements,
 * no transforms, defaults on top-level properties only. `fastSchema` refuses others,
 * and a property test holds both validators to the same verdicts.
 */
export interface FastSchema<S extends z.ZodType> {
  readonly schema: S;
  /** `what` names the input in error messages (default: the name given at creation). */
  parse(input: unknown, what?: string): z.output<S>;
}

// unicode: false measures strings in UTF-16 units, as zod's min/max do.
// (Ajv calls `unicode` deprecated but honours it; its logger would say so at every start.)
const ajv = new Ajv({ allErrors: false, unicode: false, strict: true, allowUnionTypes: true, logger: false });

type JsonSchema = { properties?: Record<string, JsonSchema & { default?: unknown }>; [k: string]: unknown };

function hasDefault(node: unknown): boolean {
  if (!node || typeof node !== 'object') return false;
  if ('default' in (node as object)) return true;
  return Object.values(node as object).some(hasDefault);
}

/** True when a default sits anywhere but directly on a top-level property. */
function hasNestedDefault(json: JsonSchema): boolean {
  const { properties, ...rest } = json;
  if (hasDefault(rest)) return true;
  return Object.values(properties ?? {}).some(({ default: _, ...p }) => hasDefault(p));
}

function hasRefinementOrTransform(schema: z.ZodType): boolean {
  let found = false;
  const visit = (s: z.ZodType, seen: Set<z.ZodType>): void => {
    if (found || seen.has(s)) return;
    seen.add(s);
    const def = (s as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
    const checks = (def.checks as { _zod: { def: { check: string } } }[] | undefined) ?? [];
    if (def.type === 'transform' || def.type === 'pipe' || checks.some((c) => c._zod.def.check === 'custom'))
      found = true;
    for (const v of Object.values(def)) {
      const children =
        v instanceof z.ZodType
          ? [v]
          : Array.isArray(v)
            ? v
            : v && typeof v === 'object'
              ? Object.values(v)
              : [];
      for (const child of children) if (child instanceof z.ZodType) visit(child, seen);
    }
  };
  visit(schema, new Set());
  return found;
}

export function fastSchema<S extends z.ZodType>(schema: S, what: string): FastSchema<S> {
  if (hasRefinementOrTransform(schema))
    throw new Error(`fastSchema(${what}): refinements and transforms have no JSON Schema`);
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' }) as JsonSchema;
  if (hasNestedDefault(json)) throw new Error(`fastSchema(${what}): only top-level defaults are supported`);
  const { $schema: _, ...body } = json;
  const validate: ValidateFunction = ajv.compile(body);
  const defaults = Object.entries(json.properties ?? {})
    .filter(([, p]) => 'default' in p)
    .map(([k, p]) => [k, p.default] as const);
  return {
    schema,
    parse(input: unknown, name = what): z.output<S> {
      if (!validate(input)) return parseWith(schema, input, name); // throws zod's message
      if (defaults.length === 0) return input as z.output<S>;
      const out = { ...(input as Record<string, unknown>) };
      for (const [k, d] of defaults)
        if (out[k] === undefined) out[k] = typeof d === 'object' && d !== null ? structuredClone(d) : d;
      return out as z.output<S>;
    },
  };
}
