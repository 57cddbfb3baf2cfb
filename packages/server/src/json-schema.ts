/**
 * A small JSON Schema validator: the subset OpenAI's structured outputs and OpenAI's own OpenAPI
 * document use (type, enum, const, properties, required, additionalProperties, items,
 * prefixItems, anyOf, oneOf, allOf, not, $ref to "#/..." and "#/$defs/...", min/max bounds,
 * lengths, pattern, minItems/maxItems, nullable). Unknown keywords are ignored.
 *
 * The server validates structured output against a client's `response_format` schema with it;
 * the tests validate every response against OpenAI's published schemas with it.
 */

export type JsonSchema = Record<string, unknown> | boolean;

export interface ValidateOptions {
  /** Treat OpenAPI 3.0's `nullable: true` as "null is allowed". Default true. */
  nullable?: boolean;
  /** The document `$ref`s resolve against. Default: the schema itself. */
  root?: unknown;
}

/** Validates `value`; returns the first problems found (empty when valid). */
export function validateJson(value: unknown, schema: JsonSchema, options: ValidateOptions = {}): string[] {
  const errors: string[] = [];
  const ctx: Ctx = { root: options.root ?? schema, nullable: options.nullable ?? true, depth: 0 };
  check(value, schema, "$", errors, ctx);
  return errors.slice(0, 20);
}

interface Ctx {
  root: unknown;
  nullable: boolean;
  depth: number;
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function matchesType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  if (type === "number") return actual === "number" || actual === "integer";
  return actual === type;
}

export function resolveRef(root: unknown, ref: string): JsonSchema {
  if (!ref.startsWith("#")) throw new Error(`unsupported $ref ${ref}`);
  let node: unknown = root;
  for (const raw of ref.slice(1).split("/").filter(Boolean)) {
    const key = decodeURIComponent(raw.replace(/~1/g, "/").replace(/~0/g, "~"));
    node = (node as Record<string, unknown> | undefined)?.[key];
    if (node === undefined) throw new Error(`unresolvable $ref ${ref}`);
  }
  return node as JsonSchema;
}

const patterns = new Map<string, (value: string) => boolean>();
/** A compiled `pattern`; one that is not a valid regular expression checks nothing. */
function patternOf(pattern: string): (value: string) => boolean {
  let test = patterns.get(pattern);
  if (!test) {
    try {
      const re = new RegExp(pattern, "u");
      test = (value) => re.test(value);
    } catch {
      test = () => true;
    }
    if (patterns.size < 500) patterns.set(pattern, test);
  }
  return test;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function check(value: unknown, schema: JsonSchema, path: string, errors: string[], ctx: Ctx): void {
  if (schema === true) return;
  if (schema === false) {
    errors.push(`${path}: no value is allowed here`);
    return;
  }
  if (typeof schema !== "object" || schema === null) return;
  if (ctx.depth > 200) throw new Error("schema nesting too deep");
  const s = schema as Record<string, unknown>;
  const sub = (v: unknown, sch: unknown, p: string, out: string[]) => {
    ctx.depth++;
    try {
      check(v, sch as JsonSchema, p, out, ctx);
    } finally {
      ctx.depth--;
    }
  };
  // `nullable` beside a `$ref` (as OpenAI writes it) allows null for the referenced schema too.
  if (value === null && ctx.nullable && s.nullable === true) return;
  if (typeof s.$ref === "string") {
    sub(value, resolveRef(ctx.root, s.$ref), path, errors);
    // Siblings of $ref (allowed in 2019+) are checked as well.
  }

  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((t) => matchesType(value, t))) {
      errors.push(`${path}: expected ${types.join(" or ")}, got ${typeOf(value)}`);
      return;
    }
  }
  if (Array.isArray(s.enum) && !s.enum.some((e) => deepEqual(e, value))) {
    errors.push(
      `${path}: ${JSON.stringify(value)?.slice(0, 80)} is not one of ${JSON.stringify(s.enum).slice(0, 200)}`,
    );
  }
  if ("const" in s && !deepEqual(s.const, value)) {
    errors.push(`${path}: expected ${JSON.stringify(s.const)}`);
  }

  if (typeof value === "number") {
    if (typeof s.minimum === "number" && value < s.minimum)
      errors.push(`${path}: below minimum ${s.minimum}`);
    if (typeof s.maximum === "number" && value > s.maximum)
      errors.push(`${path}: above maximum ${s.maximum}`);
    if (typeof s.exclusiveMinimum === "number" && value <= s.exclusiveMinimum)
      errors.push(`${path}: must be > ${s.exclusiveMinimum}`);
    if (typeof s.exclusiveMaximum === "number" && value >= s.exclusiveMaximum)
      errors.push(`${path}: must be < ${s.exclusiveMaximum}`);
    if (typeof s.multipleOf === "number" && !Number.isInteger(value / s.multipleOf))
      errors.push(`${path}: not a multiple of ${s.multipleOf}`);
  }
  if (typeof value === "string") {
    const length = [...value].length;
    if (typeof s.minLength === "number" && length < s.minLength)
      errors.push(`${path}: shorter than ${s.minLength}`);
    if (typeof s.maxLength === "number" && length > s.maxLength)
      errors.push(`${path}: longer than ${s.maxLength}`);
    if (typeof s.pattern === "string" && !patternOf(s.pattern)(value))
      errors.push(`${path}: does not match ${s.pattern}`);
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === "number" && value.length < s.minItems)
      errors.push(`${path}: fewer than ${s.minItems} items`);
    if (typeof s.maxItems === "number" && value.length > s.maxItems)
      errors.push(`${path}: more than ${s.maxItems} items`);
    const prefix = Array.isArray(s.prefixItems) ? (s.prefixItems as unknown[]) : [];
    value.forEach((item, i) => {
      if (i < prefix.length) sub(item, prefix[i], `${path}[${i}]`, errors);
      else if (s.items !== undefined && !Array.isArray(s.items)) sub(item, s.items, `${path}[${i}]`, errors);
    });
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props = (s.properties ?? {}) as Record<string, unknown>;
    if (Array.isArray(s.required)) {
      for (const key of s.required as string[]) {
        if (!(key in obj)) errors.push(`${path}: missing required property "${key}"`);
      }
    }
    for (const [key, v] of Object.entries(obj)) {
      if (key in props) sub(v, props[key], `${path}.${key}`, errors);
      else if (s.additionalProperties === false) errors.push(`${path}: unexpected property "${key}"`);
      else if (typeof s.additionalProperties === "object" && s.additionalProperties !== null)
        sub(v, s.additionalProperties, `${path}.${key}`, errors);
    }
    const count = Object.keys(obj).length;
    if (typeof s.minProperties === "number" && count < s.minProperties)
      errors.push(`${path}: fewer than ${s.minProperties} properties`);
    if (typeof s.maxProperties === "number" && count > s.maxProperties)
      errors.push(`${path}: more than ${s.maxProperties} properties`);
  }

  if (Array.isArray(s.allOf)) for (const part of s.allOf) sub(value, part, path, errors);
  if (Array.isArray(s.anyOf)) {
    const branches = s.anyOf as unknown[];
    if (!branches.some((b) => attempt(value, b, path, ctx).length === 0)) {
      errors.push(`${path}: matches none of anyOf (${closest(value, branches, path, ctx)})`);
    }
  }
  if (Array.isArray(s.oneOf)) {
    const branches = s.oneOf as unknown[];
    const discriminated = discriminate(value, s, branches, ctx);
    if (discriminated?.length === 1) {
      sub(value, discriminated[0], path, errors);
    } else if (discriminated !== undefined) {
      // Several branches share the tag (OpenAI's input and output `message` items): one must match.
      if (!discriminated.some((b) => attempt(value, b, path, ctx).length === 0)) {
        errors.push(
          `${path}: matches none of its oneOf branches (${closest(value, discriminated, path, ctx)})`,
        );
      }
    } else {
      const passing = branches.filter((b) => attempt(value, b, path, ctx).length === 0).length;
      if (passing === 0)
        errors.push(`${path}: matches none of oneOf (${closest(value, branches, path, ctx)})`);
      else if (passing > 1)
        errors.push(`${path}: matches ${passing} branches of oneOf, expected exactly one`);
    }
  }
  if (s.not !== undefined && attempt(value, s.not, path, ctx).length === 0) {
    errors.push(`${path}: must not match the "not" schema`);
  }
}

function attempt(value: unknown, schema: unknown, path: string, ctx: Ctx): string[] {
  const out: string[] = [];
  ctx.depth++;
  try {
    check(value, schema as JsonSchema, path, out, ctx);
  } finally {
    ctx.depth--;
  }
  return out;
}

/** The error list of the branch that came closest, for a readable message. */
function closest(value: unknown, branches: unknown[], path: string, ctx: Ctx): string {
  let best: string[] | undefined;
  for (const b of branches) {
    const errs = attempt(value, b, path, ctx);
    if (!best || errs.length < best.length) best = errs;
  }
  return (best ?? []).slice(0, 3).join("; ");
}

/**
 * With OpenAPI's `discriminator` (OpenAI puts one on its item unions), the branches whose
 * discriminator property allows the value's (declared on the branch or on one of its `allOf`
 * parts): exactly like a client's deserializer would. Several branches may share a tag (an input
 * and an output `message`). Undefined when none does, or there is no discriminator.
 */
function discriminate(
  value: unknown,
  schema: Record<string, unknown>,
  branches: unknown[],
  ctx: Ctx,
): JsonSchema[] | undefined {
  const disc = schema.discriminator as { propertyName?: string } | undefined;
  if (!disc?.propertyName || typeof value !== "object" || value === null) return undefined;
  const name = disc.propertyName;
  const tag = (value as Record<string, unknown>)[name];
  const allows = (branch: unknown, depth: number): boolean => {
    let target = branch as Record<string, unknown>;
    if (typeof target?.$ref === "string")
      target = resolveRef(ctx.root, target.$ref) as Record<string, unknown>;
    if (!target || typeof target !== "object") return false;
    const prop = (target.properties as Record<string, Record<string, unknown>> | undefined)?.[name];
    if (prop && ((Array.isArray(prop.enum) && prop.enum.includes(tag)) || prop.const === tag)) return true;
    return depth < 4 && Array.isArray(target.allOf) && target.allOf.some((part) => allows(part, depth + 1));
  };
  const matching = branches.filter((branch) => allows(branch, 0)) as JsonSchema[];
  return matching.length > 0 ? matching : undefined;
}
