import { z } from 'zod';

/*
 * The configuration reference (docs/configuration.md) is rendered from the
 * apps' env schemas, so a variable's documentation lives beside its
 * validation. A field documents itself with zod metadata:
 *   .describe('what it does')            the Meaning column (required)
 *   .meta({ accepts: '…' })              the accepted forms, when the schema
 *                                        alone says too little (durations)
 *   .meta({ defaultText: '…' })          a default that depends on other
 *                                        variables (computed after parsing)
 */

/** One row of the configuration reference. */
export interface EnvVariableDoc {
  name: string;
  /** The accepted values, in Markdown. */
  accepts: string;
  /** The default, in Markdown; `(unset)` when there is none. */
  default: string;
  description: string;
  /** Deprecated names still read for this variable. */
  aliases: string[];
}

interface FieldMeta {
  description?: string;
  accepts?: string;
  defaultText?: string;
}

/** The object behind an env schema (itself, or behind a refinement or transform). */
export function envSchemaShape(schema: z.ZodType): Record<string, z.ZodType> {
  if (schema instanceof z.ZodObject)
    return schema.shape as Record<string, z.ZodType>;
  const inner = (schema.def as { in?: z.ZodType }).in;
  if (!inner) throw new Error('not an env schema: no object inside');
  return envSchemaShape(inner);
}

const code = (v: unknown) => `\`${String(v)}\``;

/** `integer 1 … 10`, `integer ≥ 1`, `number`: the bounds of a number schema, inclusive. */
function numberRange(s: z.ZodNumber): string {
  const int = s.isInt;
  let min: number | undefined;
  let max: number | undefined;
  for (const c of s.def.checks ?? []) {
    const d = c._zod.def as {
      check: string;
      value?: number;
      inclusive?: boolean;
    };
    if (d.value === undefined || Math.abs(d.value) >= Number.MAX_SAFE_INTEGER)
      continue;
    // An integer above 0 is at least 1: say so rather than "> 0".
    const step = d.inclusive ? 0 : int ? 1 : 0;
    if (d.check === 'greater_than') min = d.value + step;
    if (d.check === 'less_than') max = d.value - step;
  }
  const kind = int ? 'integer' : 'number';
  if (min !== undefined && max !== undefined) return `${kind} ${min} … ${max}`;
  if (min !== undefined) return `${kind} ≥ ${min}`;
  if (max !== undefined) return `${kind} ≤ ${max}`;
  return kind;
}

/** The accepted values of the innermost schema (string, number, enum, boolean). */
function acceptedBy(s: z.ZodType): string {
  if (s instanceof z.ZodNumber) return numberRange(s);
  if (s instanceof z.ZodEnum)
    return (s.options as unknown[]).map(code).join(', ');
  if (s instanceof z.ZodBoolean) return '`true` / `false`';
  return (s.def as { format?: string }).format === 'url' ? 'URL' : 'text';
}

/** Unwraps defaults, optionals and pipes down to the schema that reads the raw string. */
function inspect(field: z.ZodType): {
  meta: FieldMeta;
  accepts: string;
  default?: unknown;
} {
  let meta: FieldMeta = {};
  let s: z.ZodType = field;
  let dflt: unknown;
  for (;;) {
    meta = { ...(s.meta() as FieldMeta | undefined), ...meta };
    const def = s.def as {
      type: string;
      innerType?: z.ZodType;
      defaultValue?: unknown;
      in?: z.ZodType;
      out?: z.ZodType;
    };
    if (def.type === 'default' || def.type === 'prefault')
      dflt ??= def.defaultValue;
    if (def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.out instanceof z.ZodBoolean)
      s = def.out; // z.stringbool(): a string read as a boolean
    else if (def.type === 'pipe' && def.in) s = def.in;
    else break;
  }
  return { meta, accepts: acceptedBy(s), default: dflt };
}

function renderDefault(v: unknown): string {
  if (v === undefined) return '(unset)';
  if (v === '') return '(empty)';
  return code(v);
}

/**
 * The documentation of every variable of an env schema, in declaration
 * order.
 *
 * @param renamed the deprecated names `parseEnv` still reads (old → new).
 * @throws Error naming a variable without a description, so that a new
 *   variable cannot reach the reference undocumented.
 */
export function describeEnvSchema(
  schema: z.ZodType,
  renamed: Record<string, string> = {},
): EnvVariableDoc[] {
  return Object.entries(envSchemaShape(schema)).map(([name, field]) => {
    const { meta, accepts, default: dflt } = inspect(field);
    if (!meta.description)
      throw new Error(`${name} has no description (.describe(…))`);
    return {
      name,
      accepts: meta.accepts ?? accepts,
      default: meta.defaultText ?? renderDefault(dflt),
      description: meta.description,
      aliases: Object.keys(renamed).filter(old => renamed[old] === name),
    };
  });
}
